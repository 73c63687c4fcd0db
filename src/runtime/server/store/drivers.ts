import { builtinDrivers } from 'unstorage'
import type { Driver } from 'unstorage'
import type { StorefrontStorageOptions } from '../../types'
import { storefrontMemoryDriver } from './memory-driver'
import { optionEnvName, StorefrontConfigError } from '../session/options'
import { readRedisNodes } from './redis-nodes'
import { MODULE_STORAGE_KEYS, readTls, reconnectOnReadOnly, REDIS_ONLY_KEYS } from './redis-options'

/** A driver ready to mount, and how the store should treat it. */
export interface SessionDriver {
  driver: Driver
  nativeTtl: boolean
}

/**
 * Where a store's settings came from, for error messages: the option path of its `storage.session` section (top level
 * or a shop's), and whether the app's `storefront:storage` hook replaced the driver.
 */
export interface DriverSource {
  path?: readonly string[]
  hook?: boolean
}

/** Loads an unstorage driver factory; the server passes the drivers it bundled at build time. */
export type DriverLoader = () => Promise<{ default: (options: Record<string, unknown>) => Driver }>

/**
 * Whether a value is an unstorage driver instance (what the `storefront:storage` hook may set as `driver`).
 * @param value the `driver` option
 * @returns true for an object with `getItem` and `setItem`
 */
export function isDriverInstance(value: unknown): value is Driver {
  return typeof value === 'object' && value !== null && typeof (value as Driver).getItem === 'function' && typeof (value as Driver).setItem === 'function'
}

/**
 * The module path of an unstorage built-in driver, by the names Nitro's storage config takes (`lru-cache` or
 * `lruCache`).
 * @param name the driver name
 * @returns e.g. `unstorage/drivers/lru-cache`, or undefined for a name unstorage does not know
 */
export function builtinDriverPath(name: unknown): string | undefined {
  return typeof name === 'string' && Object.hasOwn(builtinDrivers, name) ? (builtinDrivers as Record<string, string>)[name] : undefined
}

/**
 * Creates the unstorage driver for `storage.session`: `memory` (embedded), `fs`, `redis`, any other unstorage
 * built-in driver by name (resolved through unstorage's `builtinDrivers`, as Nitro resolves its storage config), or a
 * driver instance. Every driver but Redis goes through the generic store, which is atomic within one instance only. Redis gets settings that
 * fail fast during an outage instead of queueing commands: no offline queue, no resend after a reconnect, and a
 * connect timeout equal to the store timeout (the session store bounds every command sent with the same limit).
 * `cluster` and `sentinels` may be given as `host:port,host:port`, as the environment gives them. A reply `READONLY`
 * (the node was demoted by a failover) makes the connection reconnect, which finds the new primary; Sentinel also
 * listens for failovers (`failoverDetector`). The user's own values of these options win.
 * Options are checked when the server starts (validate.ts); the errors here guard a driver or node list that the
 * app's `storefront:storage` hook set later.
 * @param options driver name and options
 * @param timeoutMs the store timeout
 * @param loaders the drivers the server bundled, by module path
 * @param source where the options came from, named by the errors
 * @returns the driver
 * @throws StorefrontConfigError for a driver that is unknown or cannot be loaded, naming the option and its variable
 */
export async function createSessionDriver(options: StorefrontStorageOptions, timeoutMs: number, loaders: Record<string, DriverLoader> = {}, source: DriverSource = {}): Promise<SessionDriver> {
  const { driver: chosen, ...rest } = options
  // Not chosen (only development gets this far without a choice): the embedded store.
  const name = chosen || 'memory'
  if (isDriverInstance(name)) {
    return { driver: name, nativeTtl: false }
  }
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
    default: {
      const path = builtinDriverPath(name)
      if (!path) {
        throw new StorefrontConfigError(`${driverOption(source)} ${JSON.stringify(name)} is not supported: ${DRIVER_CHOICES} (${whereToSet(source)})`)
      }
      const load = loaders[path] ?? (() => import(/* @vite-ignore */ path) as ReturnType<DriverLoader>)
      let factory: Awaited<ReturnType<DriverLoader>>['default']
      try {
        factory = (await load()).default
      }
      catch (error) {
        throw new StorefrontConfigError(`${driverOption(source)} ${JSON.stringify(name)} could not be loaded (${(error as Error).message}): name it in storefront.storage.session.driver in nuxt.config so that the build bundles it, and install the packages the driver needs, or choose another driver (${whereToSet(source)})`)
      }
      // No native TTL is assumed: the generic store checks expiry on every read and sweeps in the background.
      return { driver: factory(driverOptions), nativeTtl: false }
    }
  }
}

const driverPath = (source: DriverSource) => [...(source.path ?? ['storage', 'session']), 'driver']

function driverOption(source: DriverSource): string {
  return `[storefront] ${driverPath(source).join('.')}`
}

function whereToSet(source: DriverSource): string {
  return source.hook ? `set by the app's storefront:storage hook` : `set ${optionEnvName(driverPath(source))}, or check the app's storefront:storage hook`
}

/** What a wrong driver name is told. */
export const DRIVER_CHOICES = `use 'memory', 'fs', 'redis' or another unstorage built-in driver (e.g. 'lru-cache', 'db0', 'upstash', 'mongodb'; see https://unstorage.unjs.io/drivers), or set a driver instance in the storefront:storage hook`

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
