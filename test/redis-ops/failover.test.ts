import { afterAll, describe, expect, it } from 'vitest'
import { describeReport, runFailoverLoad } from '../helpers/failover-load'
import { freePort, startRedis } from '../helpers/redis'
import type { RedisProcess } from '../helpers/redis'
import { startSwitchableEndpoint } from '../helpers/redis-proxy'
import { replicationOf, SENTINEL_NAME, SENTINEL_PASSWORD, startRedisSentinel, until } from '../helpers/redis-sentinel'
import type { RedisSentinelSetup } from '../helpers/redis-sentinel'
import { startFixtureServer } from '../helpers/server'
import type { FixtureServer } from '../helpers/server'

// Failovers under a bounded load (20 shoppers, each adding a new basket line and reading its user in turn), against
// real redis-server and redis-server --sentinel processes. Each scenario prints one [measure] line: the README's
// tables are made of them.
const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
})

// Enough basket lines for every add of a run to be a line of its own, so that a lost add shows.
const LOAD_ENV = { NUXT_STOREFRONT_COMMERCE_MAX_BASKET_LINES: '100000' }

async function serve(env: Record<string, string>): Promise<FixtureServer> {
  const server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', ...LOAD_ENV, ...env })
  cleanups.push(() => server.stop())
  return server
}

async function pidOf(node: RedisProcess): Promise<number> {
  const client = node.client()
  try {
    return Number(/process_id:(\d+)/.exec(await client.info('server'))![1])
  }
  finally {
    client.disconnect()
  }
}

describe('a managed endpoint that moves to the new primary', () => {
  it('recovers writes within 1 s without a restart, and loses nothing acknowledged', async () => {
    const first = await startRedis()
    const second = await startRedis({ args: ['--replicaof', '127.0.0.1', String(first.port)] })
    cleanups.push(() => first.dispose(), () => second.dispose())
    await until('the replica in sync', async () => (await replicationOf(second.port)).master_link_status === 'up')
    const endpoint = await startSwitchableEndpoint(first.port)
    cleanups.push(() => endpoint.close())
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: endpoint.url })

    const report = await runFailoverLoad(server, {
      fault: async () => {
        // What a managed service does: a coordinated failover (writes paused until the replica caught up, then the
        // roles swapped), then the endpoint leads to the new primary. Connections made before stay on the old one.
        const admin = first.client()
        try {
          await admin.call('FAILOVER', 'TO', '127.0.0.1', String(second.port))
        }
        finally {
          admin.disconnect()
        }
        await until('the old primary demoted', async () => (await replicationOf(first.port)).role === 'slave' && (await replicationOf(second.port)).role === 'master', 10_000)
        endpoint.switchTo(second.port)
      },
    })
    console.log(describeReport('endpoint move (default mode)', report), report.failures)
    expect(report.recoveryMs).toBeLessThan(1000)
    expect(report.lostWrites).toBe(0)
    expect(report.sessionsLost).toBe(0)
    expect(server.logs()).not.toMatch(/unexpected error/)
  })
})

describe('Sentinel', () => {
  let setup: RedisSentinelSetup
  let deadPort: number

  // The URL leads nowhere: with sentinels it is not used, and a server that ignored the sentinels would fail instead
  // of falling back to a default Redis.
  const sentinelEnv = () => ({
    NUXT_STOREFRONT_STORAGE_SESSION_URL: `redis://127.0.0.1:${deadPort}`,
    NUXT_STOREFRONT_STORAGE_SESSION_SENTINELS: setup.sentinelList,
    NUXT_STOREFRONT_STORAGE_SESSION_NAME: SENTINEL_NAME,
    NUXT_STOREFRONT_STORAGE_SESSION_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    NUXT_STOREFRONT_STORAGE_SESSION_ROLE: 'master',
  })

  // A fault that does not complete fails the test with what each node and sentinel said.
  async function explained(fault: () => Promise<void>) {
    try {
      await fault()
    }
    catch (error) {
      throw new Error(`${(error as Error).message}\n${await topology()}`, { cause: error })
    }
  }

  const plannedFailover = () => explained(async () => {
    const before = await setup.primary()
    await setup.sentinel('FAILOVER', SENTINEL_NAME)
    await until('the promotion', async () => (await setup.primary()) !== before, 20_000)
    await until('the old primary demoted', async () => (await replicationOf(before.port)).role === 'slave', 20_000)
  })

  it('planned failover (SENTINEL FAILOVER), default mode: reports what it costs', async () => {
    setup = await startRedisSentinel()
    cleanups.push(() => setup.dispose())
    deadPort = await freePort()
    const server = await serve(sentinelEnv())
    const report = await runFailoverLoad(server, { fault: plannedFailover })
    console.log(describeReport('Sentinel planned failover (default mode)', report), report.failures)
    // Writes move to the new primary without a restart.
    expect(Number.isFinite(report.recoveryMs)).toBe(true)
    await server.stop()
  })

  it('planned failover, durable mode (waitForReplicas 1): nothing acknowledged is lost', async () => {
    await setup.settled()
    const server = await serve({ ...sentinelEnv(), NUXT_STOREFRONT_STORAGE_SESSION_WAIT_FOR_REPLICAS: '1' })
    const report = await runFailoverLoad(server, { fault: plannedFailover })
    console.log(describeReport('Sentinel planned failover (durable mode)', report), report.failures)
    expect(report.lostWrites).toBe(0)
    expect(report.sessionsLost).toBe(0)
    expect(Number.isFinite(report.recoveryMs)).toBe(true)
    await server.stop()
  })

  const killPrimary = (restart: boolean) => explained(async () => {
    const primary = await setup.primary()
    process.kill(await pidOf(primary), 'SIGKILL')
    await until('the promotion', async () => (await setup.primary()) !== primary, 20_000)
    if (restart) {
      // The killed node comes back as a replica of the primary the sentinels name, as an orchestrator restarts a node
      // that keeps no data on disk. Started as it first was, the node that began as the primary would come back as an
      // empty primary until the sentinels demote it; a sentinel that had not yet learnt of the failover could then
      // make the promoted node sync from it, and every write would be gone (the hazard Redis' replication guide
      // describes for primaries without persistence that restart by themselves).
      const promoted = await setup.primary()
      await primary.start({ replicaOf: promoted.port })
      await until('the old primary back as a replica', async () => (await replicationOf(primary.port)).master_link_status === 'up', 60_000)
    }
  })

  // What each data node and the sentinels say, for a failure's message.
  async function topology(): Promise<string> {
    const nodes = await Promise.all(setup.nodes.map(async (node) => {
      const client = node.client()
      try {
        return `${node.port}: ${await client.dbsize()} keys, ${JSON.stringify(await replicationOf(node.port))}`
      }
      catch (error) {
        return `${node.port}: ${String(error)}`
      }
      finally {
        client.disconnect()
      }
    }))
    const logs = [...setup.nodes.map(node => `redis ${node.port}:\n${node.log()}`), setup.log()]
    return [...nodes, `sentinel names ${(await setup.primary().catch(() => undefined))?.port}`, ...logs].join('\n')
  }

  it('kill -9 of the primary, default mode: reports what it costs', async () => {
    await setup.settled()
    const server = await serve(sentinelEnv())
    const report = await runFailoverLoad(server, { fault: () => killPrimary(true) })
    console.log(describeReport('Sentinel kill -9 of the primary (default mode)', report), report.failures)
    if (!Number.isFinite(report.recoveryMs)) console.log(server.logs().slice(-4000))
    if (server.logs().includes('connection attempt was aborted')) console.log('[measure] a client ended by an aborted connection attempt was connected again')
    expect(Number.isFinite(report.recoveryMs)).toBe(true)
    await server.stop()
  })

  it('kill -9 of the primary, durable mode: nothing acknowledged is lost', async () => {
    await setup.settled()
    const server = await serve({ ...sentinelEnv(), NUXT_STOREFRONT_STORAGE_SESSION_WAIT_FOR_REPLICAS: '1' })
    const report = await runFailoverLoad(server, { fault: () => killPrimary(true) })
    console.log(describeReport('Sentinel kill -9 of the primary (durable mode)', report), report.failures)
    if (report.lostWrites > 0 || report.sessionsLost > 0) console.log('[measure] after the loss:', await topology(), server.logs().slice(-4000))
    // A wait means the store refused writes after the load: the sentinels' switches say whether a second failover did.
    if (report.checkWaitMs > 0) console.log('[measure] the check waited; the sentinels\' last switches:', setup.log().split('\n').filter(line => /switch-master|try-failover/.test(line)).slice(-6).join('\n'))
    expect(report.lostWrites).toBe(0)
    expect(report.sessionsLost).toBe(0)
    expect(Number.isFinite(report.recoveryMs)).toBe(true)
    await server.stop()
  })
})

describe('durable mode without a replica', () => {
  it('answers a write 503 when no replica confirms it, and keeps serving reads', async () => {
    const lone = await startRedis()
    cleanups.push(() => lone.dispose())
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: lone.url, NUXT_STOREFRONT_STORE_TIMEOUT: '400' })
    const put = (cookie?: string) => server.fetch('/api/session/put', { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify({ key: 'k', value: 1 }) })
    const created = await put()
    expect(created.status).toBe(200)
    const cookie = created.headers.getSetCookie()[0]!.split(';')[0]!
    await server.restart({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: lone.url, NUXT_STOREFRONT_STORE_TIMEOUT: '400', NUXT_STOREFRONT_STORAGE_SESSION_WAIT_FOR_REPLICAS: '1' })
    const refused = await put(cookie)
    expect(refused.status).toBe(503)
    expect(await refused.json()).toMatchObject({ status: 503 })
    expect((await server.fetch('/api/session/state', { headers: { cookie } })).status).toBe(200)
  })
})
