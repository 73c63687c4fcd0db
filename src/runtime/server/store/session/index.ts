import type { Driver, Storage } from 'unstorage'
import { storeBackend } from '../backend'
import { createGenericSessionStore } from './generic'
import { createRedisSessionStore } from './redis'
import type { SessionStore, SessionStoreOptions } from './types'

export * from './types'

/**
 * Chooses the store implementation for a mounted driver: Redis gets atomic scripts, any other driver the generic one.
 * @param storage the unstorage instance scoped to the session mount
 * @param driver the driver behind that mount
 * @param options store options
 * @returns the store
 */
export function createSessionStore(storage: Storage, driver: Driver, options: SessionStoreOptions): SessionStore {
  const backend = storeBackend(storage, driver)
  return backend.kind === 'redis'
    ? createRedisSessionStore(backend.client, backend.prefix, options.timeoutMs, { waitForReplicas: options.waitForReplicas })
    : createGenericSessionStore(storage, options)
}
