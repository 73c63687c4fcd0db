import type { Storage } from 'unstorage'
import type { SessionFields } from './session/types'
import { META_FIELD, recordExpiresAt } from './record'
import { guestSessionOfData, isSessionRecordKey, isUserIndexKey } from './keys'

type UserIndex = Record<string, number>

/**
 * Removes every expired key the module wrote: session records, users' records, index entries (and indexes left
 * empty), commerce data, merge markers, login locks, limiter counters and idempotency records. Runs in the background
 * for drivers without native TTL.
 * @param storage unstorage scoped to the session mount
 * @returns how many keys were removed
 */
export async function sweepExpired(storage: Storage): Promise<number> {
  const now = Date.now()
  let removed = 0
  const keys = await storage.getKeys()
  const present = new Set(keys)
  for (const key of keys) {
    const value = await storage.getItem<unknown>(key)
    if (isEnded(key, value, now, present)) {
      await storage.removeItem(key)
      removed++
      continue
    }
    if (isUserIndexKey(key) && value && typeof value === 'object' && !Array.isArray(value)) {
      const entries = value as UserIndex
      const live = Object.entries(entries).filter(([, at]) => typeof at === 'number' && at > now)
      if (live.length === Object.keys(entries).length) continue
      if (live.length === 0) {
        await storage.removeItem(key)
        removed++
      }
      else {
        const longest = Math.max(...live.map(([, at]) => at)) - now
        await storage.setItem(key, Object.fromEntries(live), { ttl: Math.max(1, Math.ceil(longest / 1000)) })
      }
    }
  }
  return removed
}

// Whether a stored value has ended, by its shape: `{ e, … }` (users' records, commerce data, markers, counters,
// idempotency records), a lock's `until`, a session record's meta. Data a guest wrote before it carried its end goes
// with the guest session.
function isEnded(key: string, value: unknown, now: number, present: Set<string>): boolean {
  if (value === null || value === undefined) return false
  if (typeof value === 'object' && !Array.isArray(value)) {
    const shaped = value as { e?: unknown, until?: unknown } & Record<string, unknown>
    if (typeof shaped.e === 'number') return shaped.e <= now
    if (typeof shaped.until === 'number') return shaped.until <= now
    if (typeof shaped[META_FIELD] === 'string' && isSessionRecordKey(key)) {
      const expiresAt = recordExpiresAt(value as SessionFields)
      return expiresAt > 0 && expiresAt <= now
    }
  }
  const guestSession = guestSessionOfData(key)
  return guestSession !== undefined && !present.has(guestSession)
}
