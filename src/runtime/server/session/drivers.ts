import type { Driver } from 'unstorage'
import type { ClusterNode } from 'ioredis'
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
 * fail fast during an outage instead of queueing commands: no offline queue, no resend after a reconnect, and a
 * connect timeout equal to the store timeout (the session store bounds every command sent with the same limit).
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
      // Fail fast during an outage instead of queueing: no offline queue, no resend after a reconnect. A connection
      // whose oldest command has waited the store timeout (a hung server) is dropped by the session store's
      // watchdog, which fails every waiting command at once (maxRetriesPerRequest 0) and reconnects. Commands issued
      // in the same tick share a round trip (auto-pipelining).
      const failFast = {
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: 0,
        connectTimeout: timeoutMs,
      }
      const { cluster, clusterOptions, ...redisOptions } = driverOptions as Record<string, unknown>
      const nodes = parseClusterNodes(cluster)
      if (nodes) {
        const given = (clusterOptions ?? {}) as Record<string, unknown>
        return {
          driver: redisDriver({
            base: 'storefront',
            ...redisOptions,
            cluster: nodes,
            clusterOptions: {
              enableOfflineQueue: false,
              enableAutoPipelining: true,
              ...given,
              redisOptions: { ...failFast, ...(given.redisOptions as object | undefined) },
            },
          }),
          nativeTtl: true,
        }
      }
      return {
        driver: redisDriver({ base: 'storefront', ...failFast, enableAutoPipelining: true, ...redisOptions }),
        nativeTtl: true,
      }
    }
    default:
      throw new StorefrontConfigError(`[storefront] storage.session.driver ${JSON.stringify(name)} is not supported: use 'memory', 'fs' or 'redis' (NUXT_STOREFRONT_STORAGE_SESSION_DRIVER)`)
  }
}

/**
 * Reads the `cluster` option: a list of nodes, or (from the environment) `host:port,host:port`.
 * @param value the option
 * @returns the nodes, or undefined when no cluster is configured
 */
export function parseClusterNodes(value: unknown): ClusterNode[] | undefined {
  if (Array.isArray(value) && value.length > 0) {
    return value as ClusterNode[]
  }
  if (typeof value === 'string' && value.trim()) {
    return value.split(',').map((node) => {
      const url = new URL(node.includes('://') ? node.trim() : `redis://${node.trim()}`)
      return { host: url.hostname, port: Number(url.port) || 6379 }
    })
  }
  return undefined
}
