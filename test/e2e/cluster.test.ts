import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar } from '../helpers/jar'
import type { RedisClusterProcess } from '../helpers/redis-cluster'
import { startRedisCluster } from '../helpers/redis-cluster'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// The built playground on a Redis Cluster of three masters: login, merge and destroy-all.
let cluster: RedisClusterProcess
let server: FixtureServer

beforeAll(async () => {
  cluster = await startRedisCluster(3)
  server = await startFixtureServer('playground', {
    NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
    NUXT_STOREFRONT_STORAGE_SESSION_CLUSTER: cluster.nodeList,
  })
})

afterAll(async () => {
  await server?.stop()
  await cluster?.dispose()
})

const login = (jar: CookieJar, who = 'alice') => jar.rpc(server, 'login', { email: `${who}@example.com`, password: `${who}-secret-1` })

describe('on a Redis Cluster', () => {
  it('merges a guest basket and wishlist into the user at login, exactly once under a raced double login', async () => {
    const guest = new CookieJar()
    const lines = [[101, 2], [202, 1], [301, 3], [402, 1], [501, 4]] as const
    for (const [variantId, quantity] of lines) expect((await guest.rpc(server, 'addItemToBasket', { variantId, quantity })).status).toBe(200)
    expect((await guest.rpc(server, 'addItemToWishlist', { productId: 7 })).status).toBe(200)

    const [first, second] = await Promise.all([login(guest.clone()), login(guest.clone())])
    expect([first.status, second.status]).toEqual([200, 200])
    const merged = [first, second].filter(answer => answer.body.merge.merged)
    expect(merged).toHaveLength(1)
    expect(merged[0]!.body.merge).toMatchObject({ linesAdded: 5, unitsAdded: 11, wishlistAdded: 1 })

    const user = new CookieJar()
    await login(user)
    expect((await user.rpc(server, 'getBasket')).body.items).toEqual(lines.map(([variantId, quantity]) => ({ variantId, quantity })))
    expect((await user.rpc(server, 'getWishlist')).body.items).toEqual([{ productId: 7 }])
    // The guest cookie is dead.
    expect((await guest.clone().rpc(server, 'getUser')).body.user).toBeNull()
  })

  it('destroys every other session of a user and lists what is left', async () => {
    const devices = [new CookieJar(), new CookieJar(), new CookieJar(), new CookieJar()]
    for (const jar of devices) expect((await login(jar, 'bob')).status).toBe(200)
    expect((await devices[0]!.rpc(server, 'listSessions')).body.sessions).toHaveLength(4)
    expect((await devices[0]!.rpc(server, 'logoutOtherDevices')).body).toEqual({ destroyed: 3 })
    for (const jar of devices.slice(1)) expect((await jar.clone().rpc(server, 'getUser')).body.user).toBeNull()
    expect((await devices[0]!.rpc(server, 'listSessions')).body.sessions).toEqual([expect.objectContaining({ current: true })])
  })

  it('used every master and ran no KEYS or SCAN', async () => {
    const perNode = await Promise.all(cluster.nodes.map(node => node.commandStats()))
    expect(perNode.filter(stats => (stats.evalsha ?? 0) + (stats.eval ?? 0) + (stats.get ?? 0) > 0).length).toBeGreaterThanOrEqual(2)
    const total = await cluster.commandStats()
    expect((total.keys ?? 0) + (total.scan ?? 0)).toBe(0)
  })
})
