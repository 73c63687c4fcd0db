import { defineDriver } from 'unstorage'
import { isDisposableKey } from './keys'

/** Options of the embedded development store. */
export interface MemoryDriverOptions {
  /** Most entries kept; past it the least recently written disposable entry (a guest's, a login counter, an Idempotency-Key record) is dropped, and only when none is left a user's. */
  maxEntries?: number
  /** How often expired entries are swept, in ms (0 turns the sweep off; expiry is still checked on read). */
  sweepIntervalMs?: number
}

interface Entry {
  value: unknown
  expiresAt: number
}

/** The name the embedded store registers under. */
export const MEMORY_DRIVER_NAME = 'storefront-memory'

/**
 * The embedded in-memory store: honours `ttl` (seconds) on setItem, expires on read, sweeps in the background, and
 * stays within `maxEntries`. For development and tests only: it is neither shared between instances nor durable.
 */
export const storefrontMemoryDriver = defineDriver((options: MemoryDriverOptions = {}) => {
  const maxEntries = Number(options.maxEntries ?? 100_000)
  const data = new Map<string, Entry>()
  // Disposable keys (isDisposableKey: guests' sessions, baskets, wishlists and locks, the login limiter's counters,
  // Idempotency-Key records), least recently written first. Past the bound they are evicted before anything of a
  // user, so that a flood of anonymous requests (or of logins with random accounts) cannot log shoppers out or empty
  // their baskets.
  const guests = new Set<string>()
  // One persistent iterator each for eviction: keys().next() rescans every deleted slot on each call.
  let oldest = data.keys()
  let oldestGuest = guests.values()
  const drop = (key: string) => {
    data.delete(key)
    guests.delete(key)
  }
  const live = (key: string, now = Date.now()) => {
    const entry = data.get(key)
    if (entry && entry.expiresAt <= now) {
      drop(key)
      return undefined
    }
    return entry
  }
  const sweep = () => {
    const now = Date.now()
    for (const [key, entry] of data) {
      if (entry.expiresAt <= now) drop(key)
    }
    // Fresh eviction iterators (they start at the oldest entry left). An iterator that is never advanced keeps every
    // hash table the Map has outgrown or shrunk from alive, which after a large expiry is most of the memory freed.
    oldest = data.keys()
    oldestGuest = guests.values()
  }
  // Numbers may arrive as strings from runtime config; '0' must turn the sweep off, not run it every millisecond.
  const sweepIntervalMs = Number(options.sweepIntervalMs ?? 60_000)
  const timer = sweepIntervalMs === 0 ? undefined : setInterval(sweep, sweepIntervalMs)
  timer?.unref?.()

  return {
    name: MEMORY_DRIVER_NAME,
    options,
    getInstance: () => ({ data, sweep }),
    hasItem: key => live(key) !== undefined,
    getItem: key => live(key)?.value ?? null,
    getItemRaw: key => live(key)?.value ?? null,
    setItem(key, value, opts: { ttl?: number } = {}) {
      setEntry(key, value, opts.ttl)
    },
    setItemRaw(key, value, opts: { ttl?: number } = {}) {
      setEntry(key, value, opts.ttl)
    },
    removeItem(key) {
      drop(key)
    },
    getKeys() {
      sweep()
      return [...data.keys()]
    },
    clear() {
      data.clear()
      guests.clear()
      oldest = data.keys()
      oldestGuest = guests.values()
    },
    dispose() {
      clearInterval(timer)
      data.clear()
      guests.clear()
    },
  }

  function setEntry(key: string, value: unknown, ttlSeconds?: number) {
    // Re-inserting moves the key to the end, so the Map's order is least recently written first.
    drop(key)
    data.set(key, { value, expiresAt: ttlSeconds ? Date.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY })
    if (isDisposableKey(key)) guests.add(key)
    while (data.size > maxEntries) {
      if (guests.size > 0) {
        let next = oldestGuest.next()
        if (next.done) {
          oldestGuest = guests.values()
          next = oldestGuest.next()
        }
        drop(next.value!)
        continue
      }
      let next = oldest.next()
      if (next.done) {
        oldest = data.keys()
        next = oldest.next()
      }
      drop(next.value!)
    }
  }
})
