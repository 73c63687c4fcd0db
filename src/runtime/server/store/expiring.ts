import type { Storage } from 'unstorage'

/**
 * A value a generic store keeps with the moment it ends (ms since epoch), so that the sweep can remove it on drivers
 * without native expiry (fs, db0, …): commerce data, merge markers, limiter counters, idempotency records.
 */
export interface Expiring<T> {
  e: number
  v: T
}

/**
 * Reads a value written by {@link writeExpiring}; a value stored before it had an expiry is read as it is.
 * @param storage unstorage scoped to the session mount
 * @param key the key
 * @param now the current time
 * @returns the value, or null when missing or expired
 */
export async function readExpiring<T>(storage: Storage, key: string, now = Date.now()): Promise<T | null> {
  const stored = await storage.getItem<Expiring<T> | T>(key)
  if (stored === null || stored === undefined) return null
  if (isExpiring(stored)) return stored.e > now ? stored.v as T : null
  return stored as T
}

/**
 * Writes a value that ends `ttlMs` from now, with the driver's TTL where it has one.
 * @param storage unstorage scoped to the session mount
 * @param key the key
 * @param value the value
 * @param ttlMs its lifetime
 * @returns once written
 */
export function writeExpiring<T>(storage: Storage, key: string, value: T, ttlMs: number): Promise<void> {
  return storage.setItem(key, { e: Date.now() + ttlMs, v: value }, { ttl: Math.max(1, Math.ceil(ttlMs / 1000)) })
}

/**
 * Gives a stored value a new lifetime, if it exists (a guest's basket follows its session's refresh).
 * @param storage unstorage scoped to the session mount
 * @param key the key
 * @param ttlMs its new lifetime
 */
export async function extendExpiring(storage: Storage, key: string, ttlMs: number): Promise<void> {
  const value = await readExpiring(storage, key)
  if (value !== null) await writeExpiring(storage, key, value, ttlMs)
}

/**
 * Whether a stored value carries its end in the {@link Expiring} shape.
 * @param value what the driver gave back
 * @returns true for `{ e, v }`
 */
export function isExpiring(value: unknown): value is Expiring<unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as Expiring<unknown>).e === 'number' && 'v' in value
}
