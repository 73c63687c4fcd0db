import { Redis } from 'ioredis'
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

describe('on a Redis Cluster that requires a password', () => {
  it('answers 503 at once with a wrong password, and logs once what to fix', async () => {
    const password = 'the-right-cluster-password-0123456789'
    const admins = cluster.nodes.map(node => new Redis({ host: '127.0.0.1', port: node.port }))
    try {
      for (const admin of admins) await admin.config('SET', 'requirepass', password)
      const wrong = await startFixtureServer('playground', {
        NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
        NUXT_STOREFRONT_STORAGE_SESSION_CLUSTER: cluster.nodeList,
        NUXT_STOREFRONT_STORAGE_SESSION_PASSWORD: 'a-wrong-password-0123456789',
      })
      try {
        const add = () => new CookieJar().rpc(wrong, 'addItemToBasket', { variantId: 101, quantity: 1 })
        // Until a node has refused the password, a request waits for the connection: the first may take up to the
        // store timeout.
        await add()
        await expect.poll(() => wrong.logs(), { timeout: 10_000 }).toContain('cannot use Redis')
        const times: number[] = []
        for (let i = 0; i < 5; i++) {
          const started = performance.now()
          expect((await add()).status).toBe(503)
          times.push(performance.now() - started)
        }
        console.log(`[measure] cluster, wrong password: 503 in ${times.map(t => t.toFixed(1)).join(', ')} ms`)
        expect([...times].sort((a, b) => a - b)[2]).toBeLessThan(100)
        expect(wrong.logs().match(/cannot use Redis/g)).toHaveLength(1)
        expect(wrong.logs()).toContain('NUXT_STOREFRONT_STORAGE_SESSION_PASSWORD')
        expect(wrong.logs()).not.toContain('a-wrong-password-0123456789')
      }
      finally {
        await wrong.stop()
      }
    }
    finally {
      for (const admin of admins) {
        await admin.auth(password).then(() => admin.config('SET', 'requirepass', ''), () => {})
        admin.disconnect()
      }
    }
  })
})
