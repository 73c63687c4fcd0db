import { performance } from 'node:perf_hooks'
import { createStorage } from 'unstorage'
import { ENGINE_BUNDLE } from './paths.mjs'
import { median, percentile } from './stats.mjs'

const SHOP = '1001'
const PREFIX = 'storefront:'
const TTL_MS = 86_400_000
const WARM = 5

/**
 * @typedef {object} ScalingPoint
 * @property {number} sessions sessions in the store (besides the victims)
 * @property {number} keys keys in Redis when measured
 * @property {number} fillSeconds how long filling up to this size took
 * @property {number} medianMs median time of one removeUserSessions call (10 sessions), round trip included
 * @property {number} p90Ms 90th percentile
 * @property {number} minMs fastest call
 * @property {number} maxMs slowest call
 * @property {number} redisUsPerCall the script's own run time in Redis per call, µs (INFO commandstats)
 * @property {number[]} samplesMs every timed call
 */

/**
 * Writes users' sessions straight into Redis in the module's key layout, pipelined: per session a record holding only
 * its meta field (`m\n<meta>`, with its TTL), per user one ZADD of every session hash scored by expiry into the user
 * index.
 * @param {import('ioredis').Redis} client
 * @param {any} engine the engine bundle
 * @param {{ userId: string, sessions: number }[]} users
 */
async function writeSessions(client, engine, users) {
  const now = Date.now()
  const meta = JSON.stringify({ c: now, s: now, e: now + TTL_MS, ua: '' })
  const pipeline = client.pipeline()
  for (const { userId, sessions } of users) {
    const zadd = []
    let index = ''
    for (let i = 0; i < sessions; i++) {
      const keys = engine.sessionKeys(SHOP, { kind: 'user', userId, id: engine.createUserSessionId(userId) })
      index = keys.index
      pipeline.set(PREFIX + keys.session, `m\n${meta}`, 'PX', TTL_MS)
      zadd.push(now + TTL_MS, keys.hash)
    }
    pipeline.zadd(PREFIX + index, ...zadd)
    pipeline.pexpire(PREFIX + index, TTL_MS)
  }
  const replies = await pipeline.exec()
  const failed = replies?.find(([error]) => error)
  if (failed) throw failed[0]
}

/**
 * Times destroySessionsForUserId at growing store sizes: the store is filled (pipelined, not through HTTP) with
 * `sessionsPerUser` sessions per user up to each size, then `repeats` users with 10 sessions each are destroyed one
 * by one through the Redis session store's removeUserSessions, the call destroySessionsForUserId makes.
 * @param {object} options
 * @param {import('./redis.mjs').BenchRedis} options.redis a Redis the caller may flush
 * @param {number[]} options.sizes ascending store sizes
 * @param {number} [options.repeats] destroys timed per size
 * @param {number} [options.sessionsPerUser] sessions of each filler user
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<ScalingPoint[]>} one point per size
 */
export async function measureDestroyScaling({ redis, sizes, repeats = 20, sessionsPerUser = 10, log = () => {} }) {
  const engine = await import(ENGINE_BUNDLE)
  const client = redis.client()
  const { driver, nativeTtl } = await engine.createSessionDriver({ driver: 'redis', url: redis.url }, 2000)
  const store = engine.createSessionStore(createStorage({ driver }), driver, { nativeTtl, sweepIntervalMs: 0 })
  const points = []
  try {
    await client.flushall()
    let filled = 0
    let nextUser = 0
    for (const size of sizes) {
      const started = performance.now()
      while (filled < size) {
        const batch = []
        while (filled < size && batch.length < 2000) {
          const sessions = Math.min(sessionsPerUser, size - filled)
          batch.push({ userId: `f${nextUser++}`, sessions })
          filled += sessions
        }
        await writeSessions(client, engine, batch)
      }
      const fillSeconds = (performance.now() - started) / 1000
      // A few more victims than timed: the first destroys load the script into Redis and warm the client up.
      const victims = Array.from({ length: repeats + WARM }, (_, i) => ({ userId: `v${size}-${i}`, sessions: 10 }))
      await writeSessions(client, engine, victims)
      const keys = await client.dbsize()
      const samples = []
      let before
      for (const [i, victim] of victims.entries()) {
        if (i === WARM) before = (await redis.commandTimes()).evalsha ?? { calls: 0, usec: 0 }
        const { index, userSessionPrefix } = engine.userKeys(SHOP, victim.userId)
        const t0 = performance.now()
        const removed = await store.removeUserSessions(index, userSessionPrefix, [])
        const ms = performance.now() - t0
        if (removed !== 10) throw new Error(`removeUserSessions removed ${removed} sessions of ${victim.userId}, expected 10`)
        if (i >= WARM) samples.push(ms)
      }
      const after = (await redis.commandTimes()).evalsha
      const point = {
        sessions: size,
        keys,
        fillSeconds: Math.round(fillSeconds * 10) / 10,
        medianMs: median(samples),
        p90Ms: percentile(samples, 90),
        minMs: Math.min(...samples),
        maxMs: Math.max(...samples),
        redisUsPerCall: after && before ? (after.usec - before.usec) / (after.calls - before.calls) : Number.NaN,
        samplesMs: samples.map(ms => Math.round(ms * 1000) / 1000),
      }
      points.push(point)
      log(`  ${size.toLocaleString('en')} sessions (${keys.toLocaleString('en')} keys, filled in ${point.fillSeconds} s): destroy of 10 sessions median ${point.medianMs.toFixed(3)} ms, p90 ${point.p90Ms.toFixed(3)} ms, ${point.redisUsPerCall.toFixed(1)} µs in Redis`)
    }
    return points
  }
  finally {
    await client.flushall().catch(() => {})
    client.disconnect()
    // The store's own connections (its reading one, its watchdogs) go with it; left open, they kept the bench alive.
    await store.dispose()
    await driver.dispose?.()
  }
}

/**
 * Tells whether destroy times show no trend across sizes: the slowest size's median is within 2× (plus 0.25 ms) of
 * the fastest one's. An operation that touched the keyspace (SCAN, KEYS) would grow about 100× from 10k to 1M
 * sessions; a busy machine moves a sub-millisecond round trip by far less than 2×.
 * @param {ScalingPoint[]} points
 * @returns {boolean} true when flat
 */
export function isFlat(points) {
  const medians = points.map(point => point.medianMs)
  return Math.max(...medians) <= 2 * Math.min(...medians) + 0.25
}
