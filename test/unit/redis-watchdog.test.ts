import { createStorage } from 'unstorage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Redis } from 'ioredis'
import { createSessionDriver, createSessionStore } from '../../src/runtime/server/store'
import type { SessionStore } from '../../src/runtime/server/store'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'

const TIMEOUT_MS = 400

// A script that keeps Redis busy for ARGV[1] ms: the connection stays open and silent, as with a hung server.
const BUSY = `
local started = redis.call('TIME')
local limit = tonumber(ARGV[1]) * 1000
repeat
  local now = redis.call('TIME')
  local elapsed = (now[1] - started[1]) * 1000000 + (now[2] - started[2])
until elapsed >= limit
return 1
`

let redis: RedisProcess
let client: Redis
let store: SessionStore
let disposeDriver: () => unknown

beforeAll(async () => {
  redis = await startRedis()
  const { driver, nativeTtl } = await createSessionDriver({ driver: 'redis', url: redis.url }, TIMEOUT_MS)
  disposeDriver = () => driver.dispose?.()
  client = driver.getInstance!() as Redis
  // The module's Nitro plugin logs connection errors; here they are expected.
  client.on('error', () => {})
  store = createSessionStore(createStorage({ driver }), driver, { nativeTtl, sweepIntervalMs: 0, timeoutMs: TIMEOUT_MS })
  await store.read('warm-up')
})

afterAll(async () => {
  await store?.dispose()
  await disposeDriver?.()
  await redis?.dispose()
})

/** Keeps Redis busy for `ms` through the store's own client, and tells how the reads sent meanwhile ended. */
async function readsWhileBusy(ms: number) {
  const busy = client.eval(BUSY, 0, ms).then(() => 'answered', (error: Error) => error.message)
  const started = Date.now()
  const reads = await Promise.all([1, 2, 3].map(i => store.read(`key-${i}`).then(() => 'answered', () => 'failed')))
  return { reads, elapsed: Date.now() - started, busy: await busy }
}

describe('the Redis watchdog (the store timeout on every command, with no timer per command)', () => {
  it('tells the session engine that no per-call timer is needed', () => {
    expect(store.kind).toBe('redis')
    expect(store.timesOutItself).toBe(true)
  })

  it('leaves a connection alone while its oldest command waits less than the store timeout', async () => {
    const { reads, busy } = await readsWhileBusy(TIMEOUT_MS / 2)
    expect(busy).toBe('answered')
    expect(reads).toEqual(['answered', 'answered', 'answered'])
  })

  it('fails every command waiting on a connection silent for the store timeout, all at once, within 1.25 × the timeout', async () => {
    const { reads, elapsed, busy } = await readsWhileBusy(TIMEOUT_MS * 3)
    expect(reads).toEqual(['failed', 'failed', 'failed'])
    expect(busy).not.toBe('answered')
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20)
    // 1.25 × the timeout, plus room for a loaded machine.
    expect(elapsed).toBeLessThan(TIMEOUT_MS * 1.25 + 300)
  })

  it('reconnects after the drop, and the store reads again', async () => {
    await expect.poll(() => store.read('key-1').then(() => 'answered', () => 'failed'), { timeout: 5_000, interval: 100 }).toBe('answered')
  })
})
