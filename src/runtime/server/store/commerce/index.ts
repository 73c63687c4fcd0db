import type { Driver, Storage } from 'unstorage'
import { storeBackend } from '../backend'
import { createGenericCommerceStore } from './generic'
import { createRedisCommerceStore } from './redis'
import type { CommerceStore } from './types'

export * from './types'

/**
 * Chooses the commerce store for a mounted driver, like the session store does.
 * @param storage unstorage scoped to the session mount
 * @param driver the driver behind it
 * @param options Redis: replicas that must confirm each write (`WAIT`, 0: off) and the store timeout
 * @param options.waitForReplicas replicas that must confirm each write
 * @param options.timeoutMs the store timeout (a WAIT takes at most a quarter of it)
 * @returns the store
 */
export function createCommerceStore(storage: Storage, driver: Driver, options: { waitForReplicas?: number, timeoutMs?: number } = {}): CommerceStore {
  const backend = storeBackend(storage, driver)
  return backend.kind === 'redis' ? createRedisCommerceStore(backend.client, backend.prefix, options) : createGenericCommerceStore(storage)
}
