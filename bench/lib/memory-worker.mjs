// The memory-store bound measurement, run as a process of its own (with --expose-gc) so that its RSS is its own:
// inserts guest sessions with a short TTL through the session store into the embedded memory driver, then waits for
// them to expire and be swept. Prints one JSON line.
import { performance } from 'node:perf_hooks'
import { createStorage } from 'unstorage'
import { ENGINE_BUNDLE } from './paths.mjs'
import { BASKET } from './payload.mjs'

const { sessions, maxEntries, ttlMs, sweepIntervalMs, batch, driver: driverName = 'storefront-memory' } = JSON.parse(process.argv[2])
const engine = await import(ENGINE_BUNDLE)
// 'lru-cache': unstorage's lru-cache driver at its best for this run: one global TTL equal to the sessions' (it drops
// the per-item ttl the store passes), purged by a timer per entry (ttlAutopurge), the same entry bound.
const lru = driverName === 'lru-cache'
const driver = lru
  ? (await import('unstorage/drivers/lru-cache')).default({ max: maxEntries, ttl: ttlMs, ttlAutopurge: true })
  : engine.storefrontMemoryDriver({ maxEntries, sweepIntervalMs })
const store = engine.createSessionStore(createStorage({ driver }), driver, { nativeTtl: !lru, sweepIntervalMs: 0 })
const data = lru ? driver.getInstance() : driver.getInstance().data
const basket = JSON.stringify(BASKET)
const mb = bytes => Math.round(bytes / 1e5) / 10

const collect = () => {
  globalThis.gc?.()
  globalThis.gc?.()
}
collect()
const baseline = process.memoryUsage()
let peakRss = baseline.rss
let peakHeap = baseline.heapUsed
let peakHeapTotal = baseline.heapTotal
let maxSeen = 0
const sample = () => {
  const usage = process.memoryUsage()
  peakRss = Math.max(peakRss, usage.rss)
  peakHeap = Math.max(peakHeap, usage.heapUsed)
  peakHeapTotal = Math.max(peakHeapTotal, usage.heapTotal)
  maxSeen = Math.max(maxSeen, data.size)
}
const sampler = setInterval(sample, 50)

const started = performance.now()
let created = 0
for (let done = 0; done < sessions; done += batch) {
  const writes = []
  for (let i = done; i < Math.min(sessions, done + batch); i++) {
    const keys = engine.sessionKeys('1001', { kind: 'guest', id: engine.createGuestId() })
    const now = Date.now()
    const meta = engine.encodeMeta({ c: now, s: now, e: now + ttlMs, ua: '' })
    writes.push(store.create(keys, { 'm': meta, 'd:basket': basket }, { ttlMs, expiresAt: now + ttlMs }))
  }
  for (const ok of await Promise.all(writes)) created += ok ? 1 : 0
  sample()
}
const insertSeconds = (performance.now() - started) / 1000
const entriesAfterInsert = data.size

// The driver counts TTLs in whole seconds: wait past the longest one, then for the next sweep.
await new Promise(resolve => setTimeout(resolve, Math.ceil(ttlMs / 1000) * 1000 + sweepIntervalMs + 500))
clearInterval(sampler)
const entriesAfterSweep = data.size
collect()
const after = process.memoryUsage()
await store.dispose()
await driver.dispose?.()

console.log(JSON.stringify({
  driver: driverName,
  sessions,
  created,
  maxEntries,
  ttlMs,
  insertSeconds: Math.round(insertSeconds * 10) / 10,
  maxEntriesSeen: maxSeen,
  entriesAfterInsert,
  entriesAfterSweep,
  gc: typeof globalThis.gc === 'function',
  baselineRssMb: mb(baseline.rss),
  peakRssMb: mb(peakRss),
  afterRssMb: mb(after.rss),
  baselineHeapMb: mb(baseline.heapUsed),
  peakHeapMb: mb(peakHeap),
  afterHeapMb: mb(after.heapUsed),
  peakHeapTotalMb: mb(peakHeapTotal),
  afterHeapTotalMb: mb(after.heapTotal),
}))
