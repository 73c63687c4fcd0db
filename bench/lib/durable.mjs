import { performance } from 'node:perf_hooks'
import { createStorage } from 'unstorage'
import { ENGINE_BUNDLE } from './paths.mjs'
import { startRedis } from './redis.mjs'
import { median, percentile } from './stats.mjs'

const SHOP = '1001'
const TTL_MS = 86_400_000

/**
 * @typedef {object} DurableMode
 * @property {string} mode `default` or `durable` (waitForReplicas 1)
 * @property {number} writesPerSecond session updates per second, median over rounds
 * @property {number} p50Ms latency of one update as the app sees it, median over rounds
 * @property {number} p99Ms 99th percentile, median over rounds
 * @property {number} cpuUsPerWrite this process's CPU time (user + system) per update, median over rounds
 * @property {number} writes updates over all rounds
 * @property {number} unconfirmed durable writes no replica confirmed in time (not in the other figures)
 */

async function until(what, probe, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await probe().catch(() => false)) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * What durable writes cost: the Redis session store of src/ on a local primary with one replica, updating sessions
 * from `concurrency` loops at once, in the default mode and with `waitForReplicas: 1` (a `WAIT 1` after each write,
 * shared by concurrent writes), in alternating rounds.
 * @param {object} options
 * @param {number} [options.rounds] rounds per mode
 * @param {number} [options.duration] seconds per mode and round
 * @param {number} [options.concurrency] concurrent writers
 * @param {string} [options.cpu] the CPU Redis is pinned to
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<{ modes: DurableMode[], ratio: { writesPerSecond: number, cpuUsPerWrite: number, p50Ms: number } }>} both modes, and durable over default
 */
export async function measureDurableWrites({ rounds = 3, duration = 3, concurrency = 50, cpu, log = () => {} } = {}) {
  const engine = await import(ENGINE_BUNDLE)
  const primary = await startRedis({ cpu })
  const replica = await startRedis({ cpu, args: ['--replicaof', '127.0.0.1', String(primary.port)] })
  const stores = []
  try {
    await until('the replica in sync', async () => {
      const client = replica.client()
      try {
        return (await client.info('replication')).includes('master_link_status:up')
      }
      finally {
        client.disconnect()
      }
    })
    for (const mode of ['default', 'durable']) {
      const { driver, nativeTtl } = await engine.createSessionDriver({ driver: 'redis', url: primary.url }, 2000)
      const store = engine.createSessionStore(createStorage({ driver }), driver, { nativeTtl, sweepIntervalMs: 0, timeoutMs: 2000, waitForReplicas: mode === 'durable' ? 1 : 0 })
      const now = Date.now()
      const expiry = { ttlMs: TTL_MS, expiresAt: now + TTL_MS }
      const sessions = []
      // Created through the default mode's store (the first): setting up is not measured, and a WAIT that times out
      // on a busy machine must not end the run before the first round.
      const seeding = stores[0]?.store ?? store
      for (let i = 0; i < concurrency; i++) {
        const keys = engine.sessionKeys(SHOP, { kind: 'guest', id: engine.createGuestId() })
        if (!await seeding.create(keys, { m: JSON.stringify({ c: now, s: now, e: expiry.expiresAt }) }, expiry)) throw new Error('could not create a bench session')
        sessions.push(keys)
      }
      stores.push({ mode, driver, store, expiry, sessions, rounds: [] })
    }
    const run = async ({ store, expiry, sessions }) => {
      const latencies = []
      let unconfirmed = 0
      const end = performance.now() + duration * 1000
      const cpuBefore = process.cpuUsage()
      const started = performance.now()
      await Promise.all(sessions.map(async (keys, worker) => {
        for (let n = 0; performance.now() < end; n++) {
          const t0 = performance.now()
          try {
            if (!await store.update(keys, { set: { basket: JSON.stringify([worker, n]) }, del: [] }, expiry)) throw new Error('a bench session was gone')
          }
          catch (error) {
            // No replica confirmed within the timeout (a busy machine): counted, not timed, and the run goes on.
            if (error?.name !== 'ReplicaConfirmationError') throw error
            unconfirmed++
            continue
          }
          latencies.push(performance.now() - t0)
        }
      }))
      const seconds = (performance.now() - started) / 1000
      const cpuUsed = process.cpuUsage(cpuBefore)
      return { writes: latencies.length, writesPerSecond: latencies.length / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cpuUsPerWrite: (cpuUsed.user + cpuUsed.system) / latencies.length, unconfirmed }
    }
    // A short warm-up per mode (scripts loaded, connections up), then alternating rounds.
    for (const entry of stores) await run({ ...entry, sessions: entry.sessions.slice(0, 5) })
    for (let round = 0; round < rounds; round++) {
      for (const entry of round % 2 === 0 ? stores : [...stores].reverse()) {
        const result = await run(entry)
        entry.rounds.push(result)
        log(`  round ${round + 1} ${entry.mode}: ${Math.round(result.writesPerSecond)} writes/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.cpuUsPerWrite.toFixed(1)} µs CPU per write`)
      }
    }
    const modes = stores.map(({ mode, rounds: results }) => ({
      mode,
      writesPerSecond: median(results.map(r => r.writesPerSecond)),
      p50Ms: median(results.map(r => r.p50Ms)),
      p99Ms: median(results.map(r => r.p99Ms)),
      cpuUsPerWrite: median(results.map(r => r.cpuUsPerWrite)),
      writes: results.reduce((sum, r) => sum + r.writes, 0),
      unconfirmed: results.reduce((sum, r) => sum + r.unconfirmed, 0),
    }))
    const [plain, durable] = modes
    return {
      modes,
      ratio: {
        writesPerSecond: durable.writesPerSecond / plain.writesPerSecond,
        cpuUsPerWrite: durable.cpuUsPerWrite / plain.cpuUsPerWrite,
        p50Ms: durable.p50Ms / plain.p50Ms,
      },
    }
  }
  finally {
    for (const { store, driver } of stores) {
      await store.dispose()
      await driver.dispose?.()
    }
    await replica.stop()
    await primary.stop()
  }
}
