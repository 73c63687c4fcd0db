import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar } from '../helpers/jar'
import { runCli, startCli } from '../helpers/operator-cli'
import { freePort, startRedis } from '../helpers/redis'
import type { RedisProcess } from '../helpers/redis'
import { startRedisCluster } from '../helpers/redis-cluster'
import type { RedisClusterProcess } from '../helpers/redis-cluster'
import { startFixtureServer } from '../helpers/server'
import type { FixtureServer } from '../helpers/server'

// Each CLI run loads the app's nuxt config as `npx nuxt-storefront-session` does (several seconds on a busy 2-core
// machine), and a test runs it up to eight times.
const CLI_TEST_TIMEOUT = 240_000

// The operator's toolbox against sessions a built server created: the CLI (run in the fixture's folder, configured by
// the same NUXT_STOREFRONT_* variables as the server) and the Nitro tasks, on a redis-server and on a cluster.

async function seedSessions(server: FixtureServer) {
  const guests = [new CookieJar(), new CookieJar(), new CookieJar()]
  for (const jar of guests) expect((await jar.rpc(server, 'addItemToBasket', { variantId: 1, quantity: 1 })).status).toBe(200)
  const u1 = [new CookieJar(), new CookieJar()]
  for (const jar of u1) expect((await jar.rpc(server, 'loginAs', { userId: 'u1' })).status).toBe(200)
  const u2 = new CookieJar()
  expect((await u2.rpc(server, 'loginAs', { userId: 'u2' })).status).toBe(200)
  const other = new CookieJar('1002')
  expect((await other.rpc(server, 'loginAs', { userId: 'u1' })).status).toBe(200)
  return { guests, u1, u2, other }
}

const userOf = async (server: FixtureServer, jar: CookieJar) => (await jar.clone().rpc(server, 'getUser')).body?.user?.id ?? null

// The CLI opened a fresh memory store of its own: `end-shop --yes` reported "0 keys deleted" and exited 0 while the
// server's sessions lived on.
describe('on a store in the server\'s memory', () => {
  it('refuses memory and lru-cache with exit code 2, pointing to the Nitro tasks', async () => {
    const memory = await runCli(['end-shop', '--shop', '1001', '--yes', '--json'], { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'memory' })
    expect(memory.code, memory.stderr).toBe(2)
    expect(memory.stdout).toBe('')
    expect(memory.stderr).toContain('the CLI cannot reach a store kept in a server\'s memory (shop 1001: storage.session.driver "memory" (NUXT_STOREFRONT_STORAGE_SESSION_DRIVER)')
    expect(memory.stderr).toContain('run the storefront:sessions:* Nitro tasks inside the server instead')
    // Shop 1001's Redis is never reached: the CLI refuses before it opens any store.
    const unused = `redis://127.0.0.1:${await freePort()}`
    const lru = await runCli(['count'], { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: unused, NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_DRIVER: 'lru-cache' })
    expect(lru.code, lru.stderr).toBe(2)
    expect(lru.stderr).toContain('shop 1002: shops.1002.storage.session.driver "lru-cache" (NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_DRIVER)')
  }, CLI_TEST_TIMEOUT)
})

describe('on a redis-server', () => {
  let redis: RedisProcess
  let server: FixtureServer
  let env: Record<string, string>

  beforeAll(async () => {
    redis = await startRedis()
    env = { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url }
    server = await startFixtureServer('basic', env)
  })

  afterAll(async () => {
    await server?.stop()
    await redis?.dispose()
  })

  it('counts, lists, ends a user\'s sessions, purges stale index entries and ends a shop\'s sessions', async () => {
    const { guests, u1, u2, other } = await seedSessions(server)

    const count = await runCli(['count', '--json'], env)
    expect(count.code, count.stderr).toBe(0)
    expect(count.json.shops).toEqual([
      expect.objectContaining({ shopId: '1001', guestSessions: 3, userSessions: 3, users: 2, interrupted: false }),
      expect.objectContaining({ shopId: '1002', guestSessions: 0, userSessions: 1, users: 1 }),
    ])
    expect(count.stderr).toMatch(/keys walked/)

    const listed = await runCli(['list', '--user', 'u1', '--shop', '1001', '--json'], env)
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.json.shops[0].sessions).toHaveLength(2)
    expect(listed.json.shops[0].sessions[0]).toEqual(expect.objectContaining({ handle: expect.any(String), createdAt: expect.any(Number) }))

    const ended = await runCli(['end-user', '--user', 'u1', '--shop', '1001', '--json'], env)
    expect(ended.json.shops).toEqual([{ shopId: '1001', userId: 'u1', ended: 2 }])
    for (const jar of u1) expect(await userOf(server, jar)).toBeNull()
    expect(await userOf(server, u2)).toBe('u2')
    expect(await userOf(server, other)).toBe('u1')

    // Two stale entries in u2's index: one whose record is gone, one whose expiry passed.
    const client = redis.client()
    try {
      await client.zadd('storefront:1001:{u:u2}:i', Date.now() + 60_000, 'gone', 1, 'expired')
      const purged = await runCli(['purge-indexes', '--shop', '1001', '--json'], env)
      expect(purged.code, purged.stderr).toBe(0)
      expect(purged.json.shops).toEqual([expect.objectContaining({ shopId: '1001', indexes: 1, entriesRemoved: 2 })])
      expect(await client.zcard('storefront:1001:{u:u2}:i')).toBe(1)
    }
    finally {
      client.disconnect()
    }
    expect(await userOf(server, u2)).toBe('u2')

    const refused = await runCli(['end-shop', '--shop', '1001'], env)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--yes/)
    expect(await userOf(server, u2)).toBe('u2')

    const wiped = await runCli(['end-shop', '--shop', '1001', '--yes', '--json'], env)
    expect(wiped.code, wiped.stderr).toBe(0)
    expect(wiped.json.shops[0].deleted).toBeGreaterThanOrEqual(5)
    expect(await userOf(server, u2)).toBeNull()
    expect((await guests[0]!.clone().rpc(server, 'getBasket')).body.items).toEqual([])
    // The other shop keeps its sessions.
    expect(await userOf(server, other)).toBe('u1')
    const after = await runCli(['count', '--json'], env)
    expect(after.json.shops.map((shop: { guestSessions: number, userSessions: number }) => shop.guestSessions + shop.userSessions)).toEqual([0, 1])
  }, CLI_TEST_TIMEOUT)

  it('checks the configuration as the server does: a missing production secret names its variable', async () => {
    const run = await runCli(['count'], { ...env, NUXT_STOREFRONT_SESSION_SECRET: '' })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/NUXT_STOREFRONT_SESSION_SECRET/)
    expect(run.stdout).toBe('')
  }, CLI_TEST_TIMEOUT)

  it('runs the same operations as Nitro tasks inside the built server', async () => {
    const jar = new CookieJar()
    expect((await jar.rpc(server, 'loginAs', { userId: 'task-user' })).status).toBe(200)
    const count = await (await server.fetch('/api/tasks/count', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ shop: '1001' }) })).json()
    expect(count.result).toEqual(expect.objectContaining({ command: 'count', shops: [expect.objectContaining({ shopId: '1001', userSessions: 1 })] }))
    const list = await (await server.fetch('/api/tasks/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ shop: '1001', user: 'task-user' }) })).json()
    expect(list.result.shops[0].sessions).toHaveLength(1)
    const refused = await server.fetch('/api/tasks/end-shop', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ shop: '1001' }) })
    expect(refused.status).toBeGreaterThanOrEqual(400)
    expect(await userOf(server, jar)).toBe('task-user')
    const ended = await (await server.fetch('/api/tasks/end-user', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ shop: '1001', user: 'task-user' }) })).json()
    expect(ended.result.shops).toEqual([{ shopId: '1001', userId: 'task-user', ended: 1 }])
    expect(await userOf(server, jar)).toBeNull()
  }, CLI_TEST_TIMEOUT)

  it('stops a walk of a large keyspace on Ctrl-C after the current batch, reports what it walked and exits 130', async () => {
    const client = redis.client()
    const total = 50_000
    try {
      for (let start = 0; start < total; start += 5000) {
        const pipeline = client.pipeline()
        for (let i = start; i < start + 5000; i++) pipeline.set(`storefront:1001:{g:seed${i}}:s`, 'm\n{}', 'EX', 600)
        await pipeline.exec()
      }
    }
    finally {
      client.disconnect()
    }
    const run = startCli(['count', '--shop', '1001', '--count', '100', '--pause', '5', '--json'], env)
    const deadline = Date.now() + 60_000
    while (!/keys walked/.test(run.stderr()) && run.child.exitCode === null && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
    expect(run.stderr()).toMatch(/keys walked/)
    run.child.kill('SIGINT')
    const code = await run.exited
    expect(code).toBe(130)
    const report = JSON.parse(run.stdout())
    expect(report.interrupted).toBe(true)
    expect(report.shops[0].interrupted).toBe(true)
    expect(report.shops[0].scanned).toBeGreaterThan(0)
    expect(report.shops[0].scanned).toBeLessThan(total)
    expect(run.stderr()).toMatch(/stopping after the current batch/)
  }, CLI_TEST_TIMEOUT)
})

describe('on a Redis Cluster', () => {
  let cluster: RedisClusterProcess
  let server: FixtureServer
  let env: Record<string, string>

  beforeAll(async () => {
    cluster = await startRedisCluster(3)
    env = { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_CLUSTER: cluster.nodeList }
    server = await startFixtureServer('basic', env)
  })

  afterAll(async () => {
    await server?.stop()
    await cluster?.dispose()
  })

  it('walks every master: counts and ends a shop\'s sessions spread over the slots', async () => {
    const guests = Array.from({ length: 12 }, () => new CookieJar())
    for (const jar of guests) expect((await jar.rpc(server, 'addItemToBasket', { variantId: 2, quantity: 1 })).status).toBe(200)
    const users = Array.from({ length: 6 }, () => new CookieJar())
    for (const [i, jar] of users.entries()) expect((await jar.rpc(server, 'loginAs', { userId: `c${i}` })).status).toBe(200)
    const perNode = await Promise.all(cluster.nodes.map(async (node) => {
      const client = node.client()
      try {
        return (await client.keys('storefront:1001:*:s*')).length
      }
      finally {
        client.disconnect()
      }
    }))
    expect(perNode.filter(n => n > 0).length).toBeGreaterThanOrEqual(2)

    const count = await runCli(['count', '--shop', '1001', '--count', '5', '--json'], env)
    expect(count.code, count.stderr).toBe(0)
    expect(count.json.shops[0]).toEqual(expect.objectContaining({ guestSessions: 12, userSessions: 6, users: 6 }))
    expect(count.stderr).toMatch(/\/3\)/)

    const listed = await runCli(['list', '--user', 'c0', '--shop', '1001', '--json'], env)
    expect(listed.json.shops[0].sessions).toHaveLength(1)

    const wiped = await runCli(['end-shop', '--shop', '1001', '--yes', '--json'], env)
    expect(wiped.code, wiped.stderr).toBe(0)
    expect(wiped.json.shops[0].deleted).toBeGreaterThanOrEqual(12 + 6 * 3)
    for (const jar of users) expect(await userOf(server, jar)).toBeNull()
    const after = await runCli(['count', '--shop', '1001', '--json'], env)
    expect(after.json.shops[0]).toEqual(expect.objectContaining({ guestSessions: 0, userSessions: 0, users: 0 }))
  }, CLI_TEST_TIMEOUT)
})
