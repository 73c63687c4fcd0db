import type { Driver } from 'unstorage'
import type { StorefrontStorageOptions } from '../../types'
import { storefrontMemoryDriver } from './memory-driver'
import { StorefrontConfigError } from './options'
import { readRedisNodes } from './redis-nodes'
import { MODULE_STORAGE_KEYS, readTls, reconnectOnReadOnly, REDIS_ONLY_KEYS } from './redis-options'

/** A driver ready to mount, and how the store should treat it. */
export interface SessionDriver {
  driver: Driver
  nativeTtl: boolean
}

/**
 * Creates the unstorage driver for `storage.session`: `memory` (embedded), `fs` or `redis`. Redis gets settings that
 * fail fast during an outage instead of queueing commands: no offline queue, no resend after a reconnect, and a
 * connect timeout equal to the store timeout (the session store bounds every command sent with the same limit).
 * `cluster` and `sentinels` may be given as `host:port,host:port`, as the environment gives them. A reply `READONLY`
 * (the node was demoted by a failover) makes the connection reconnect, which finds the new primary; Sentinel also
 * listens for failovers (`failoverDetector`). The user's own values of these options win.
 * Options are checked when the server starts (validate.ts); the errors here guard a driver or node list that the
 * app's `storefront:storage` hook set later.
 * @param options driver name and options
 * @param timeoutMs the store timeout
 * @returns the driver
 */
export async function createSessionDriver(options: StorefrontStorageOptions, timeoutMs: number): Promise<SessionDriver> {
  const { driver: name = 'memory', ...rest } = options
  const driverOptions = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== '' && value !== undefined && value !== null))
  if (name !== 'redis') {
    for (const key of REDIS_ONLY_KEYS) delete driverOptions[key]
  }
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
      const { cluster, clusterOptions, sentinels, tls, ...given } = driverOptions as Record<string, unknown>
      for (const key of MODULE_STORAGE_KEYS) {
        if (key !== 'base') delete given[key]
      }
      const tlsOptions = readTls(tls, given.url)
      if (tlsOptions.problems.length > 0) {
        throw new StorefrontConfigError(`[storefront] ${tlsOptions.problems.join('; ')}`)
      }
      const sentinelNodes = nodesOf(sentinels, 'sentinels')
      const redisOptions: Record<string, unknown> = {
        reconnectOnError: reconnectOnReadOnly,
        ...given,
        ...(tlsOptions.tls ? { tls: tlsOptions.tls } : {}),
        // With Sentinel, ioredis uses TLS to the primary only with enableTLSForSentinelMode.
        ...(sentinelNodes ? { sentinels: sentinelNodes, failoverDetector: given.failoverDetector ?? true, ...(tlsOptions.tls ? { enableTLSForSentinelMode: given.enableTLSForSentinelMode ?? true } : {}) } : {}),
      }
      const nodes = nodesOf(cluster, 'cluster')
      if (nodes) {
        const given = (clusterOptions ?? {}) as Record<string, unknown>
        const nodeOptions = { ...(tlsOptions.tls ? { tls: tlsOptions.tls } : {}), ...(given.redisOptions as object | undefined) }
        return {
          driver: redisDriver({
            base: 'storefront',
            ...redisOptions,
            cluster: nodes,
            clusterOptions: {
              enableOfflineQueue: false,
              enableAutoPipelining: true,
              ...given,
              redisOptions: { ...failFast, reconnectOnError: reconnectOnReadOnly, ...pick(redisOptions, ['username', 'password']), ...nodeOptions },
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
      throw new StorefrontConfigError(`[storefront] storage.session.driver ${JSON.stringify(name)} is not supported: use 'memory', 'fs' or 'redis' (check NUXT_STOREFRONT_STORAGE_SESSION_DRIVER and the app's storefront:storage hook)`)
  }
}

function nodesOf(value: unknown, option: 'cluster' | 'sentinels') {
  const { nodes, problems } = readRedisNodes(value)
  if (problems.length > 0) {
    throw new StorefrontConfigError(`[storefront] storage.session.${option} is invalid: ${problems.join('; ')}`)
  }
  return nodes
}

function pick(options: Record<string, unknown>, keys: string[]) {
  return Object.fromEntries(keys.filter(key => options[key] !== undefined).map(key => [key, options[key]]))
}
