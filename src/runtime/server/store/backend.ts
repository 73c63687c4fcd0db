import type { Driver, Storage } from 'unstorage'
import type { RedisClient } from './redis-client'

/**
 * Where a store keeps its data: the Redis client behind the unstorage redis driver (its scripts write the keys
 * themselves, under the driver's prefix), or the unstorage storage for any other driver.
 */
export type StoreBackend
  = | { kind: 'redis', client: RedisClient, prefix: string }
    | { kind: 'generic', storage: Storage }

/**
 * Picks the backend of a mounted driver: the one rule both the session and the commerce store follow.
 * @param storage unstorage scoped to the session mount
 * @param driver the driver behind it
 * @returns the backend
 */
export function storeBackend(storage: Storage, driver: Driver): StoreBackend {
  if (driver.name === 'redis' && typeof driver.getInstance === 'function') {
    return { kind: 'redis', client: driver.getInstance() as RedisClient, prefix: redisKeyPrefix(driver) }
  }
  return { kind: 'generic', storage }
}

/**
 * The prefix the unstorage redis driver puts before every key (its `base` and a colon), which the Redis stores'
 * scripts add themselves.
 * @param driver the redis driver
 * @returns `base:`, or an empty string without a base
 */
export function redisKeyPrefix(driver: Driver): string {
  const base = String((driver.options as { base?: string } | undefined)?.base ?? '').replace(/:$/, '')
  return base ? `${base}:` : ''
}
