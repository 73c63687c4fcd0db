import type { RedisClient } from './redis-client'
import { whenReady } from './redis-client'
import { describeFatalRedisError, isSafeEvictionPolicy, readEvictionPolicies, trackFatalErrors } from './redis-health'

/** Where the monitor reports. */
export interface RedisMonitorLog {
  warn: (message: string) => void
  error: (message: string) => void
}

const monitored = new WeakSet<RedisClient>()

/**
 * Watches the Redis client of a session store, for operators:
 * - a fatal connection error (wrong password, ACL, certificate) is logged once per kind, with what to fix, and no
 *   longer after every reconnection attempt;
 * - at start, a connection check: when no connection is ready within `timeoutMs`, one line says why. The server keeps
 *   running (requests that need the store answer 503), so that a Redis that comes up later is used;
 * - on every (re)connection, `maxmemory-policy` is read from `INFO memory`, and a policy that may evict the module's
 *   keys at random (anything but `noeviction` and `volatile-*`) is warned about.
 * @param client the writing client
 * @param options the store's name for log lines, the store timeout, where to log
 * @param options.label names the store in log lines, e.g. `shop 1001`
 * @param options.timeoutMs how long the start-time check waits for a connection
 * @param options.log where to log (console by default)
 */
export function monitorRedis(client: RedisClient, options: { label: string, timeoutMs: number, log?: RedisMonitorLog }): void {
  if (monitored.has(client)) return
  monitored.add(client)
  const log = options.log ?? console
  const reported = new Set<string>()
  trackFatalErrors(client, (fatal) => {
    if (reported.has(fatal.kind)) return
    reported.add(fatal.kind)
    log.error(`[storefront] the session store of ${options.label} cannot use Redis: ${fatal.message} — ${fatal.hint}. Requests that need the store answer 503 at once until this is fixed.`)
  })
  const warned = new Set<string>()
  const checkPolicy = () => {
    readEvictionPolicies(client).then((nodes) => {
      for (const { node, policy } of nodes) {
        if (isSafeEvictionPolicy(policy) || warned.has(`${node} ${policy}`)) continue
        warned.add(`${node} ${policy}`)
        log.warn(`[storefront] Redis at ${node} runs with maxmemory-policy ${policy}: it may evict sessions, user indexes and merge markers, which logs shoppers out and breaks logoutOtherDevices. Set maxmemory-policy noeviction (or a volatile-* policy on a Redis sized never to evict).`)
      }
    }, (error: Error) => {
      const fatal = describeFatalRedisError(error)
      if (!warned.has('unreadable')) {
        warned.add('unreadable')
        log.warn(`[storefront] could not read maxmemory-policy from Redis (INFO memory): ${error.message}${fatal ? ` — ${fatal.hint}` : ''}`)
      }
    })
  }
  client.on('ready', checkPolicy)
  if (client.status === 'ready') checkPolicy()
  Promise.resolve()
    .then(() => whenReady(client, options.timeoutMs))
    .catch((error: Error) => {
      if (describeFatalRedisError(error)) return
      log.error(`[storefront] the session store of ${options.label} is not connected to Redis after ${options.timeoutMs} ms: ${error.message}. The server keeps running; requests that need the store answer 503 until Redis is reachable.`)
    })
}
