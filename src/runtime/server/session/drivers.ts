import type { Driver } from 'unstorage'
import type { StorefrontStorageOptions } from '../../types'
import { StorefrontConfigError } from './config'
import { storefrontMemoryDriver } from './memory-driver'

/** A driver ready to mount, and how the store should treat it. */
export interface SessionDriver {
  driver: Driver
  nativeTtl: boolean
}

/**
 * Creates the unstorage driver for `storage.session`: `memory` (embedded), `fs` or `redis`. Redis gets settings that
 * fail fast during an outage instead of queueing commands: no offline queue, no resend after a reconnect, a command
 * timeout equal to the store timeout.
 * @param options driver name and options
 * @param timeoutMs the store timeout
 * @returns the driver
 */
export async function createSessionDriver(options: StorefrontStorageOptions, timeoutMs: number): Promise<SessionDriver> {
  const { driver: name = 'memory', ...rest } = options
  const driverOptions = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== '' && value !== undefined && value !== null))
  switch (name) {
    case 'memory':
      return { driver: storefrontMemoryDriver(driverOptions), nativeTtl: true }
    case 'fs': {
      const { default: fsDriver } = await import('unstorage/drivers/fs')
      return { driver: fsDriver({ base: '.data/storefront-session', ...driverOptions }), nativeTtl: false }
    }
    case 'redis': {
      const { default: redisDriver } = await import('unstorage/drivers/redis')
      return {
        driver: redisDriver({
          base: 'storefront',
          enableOfflineQueue: false,
          autoResendUnfulfilledCommands: false,
          // Independent commands issued in the same tick (a login's basket and wishlist merges) share a round trip.
          enableAutoPipelining: true,
          maxRetriesPerRequest: 0,
          connectTimeout: timeoutMs,
          commandTimeout: timeoutMs,
          ...driverOptions,
        }),
        nativeTtl: true,
      }
    }
    default:
      throw new StorefrontConfigError(`[storefront] storage.session.driver ${JSON.stringify(name)} is not supported: use 'memory', 'fs' or 'redis' (NUXT_STOREFRONT_STORAGE_SESSION_DRIVER)`)
  }
}
