import type { Cluster, Redis } from 'ioredis'
import { logger } from '../log'

/** A connected ioredis client: standalone (also behind Sentinel) or a cluster. */
export type RedisClient = Redis | Cluster

/** A connection error that waiting will not cure: the credentials, the ACL or the certificate must change. */
export interface FatalRedisError {
  /** `auth`, `acl` or `tls`. */
  kind: 'auth' | 'acl' | 'tls'
  /** The error as Redis or Node.js reported it (it never holds the password). */
  message: string
  /** What to change, naming the options and their env variables. */
  hint: string
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|EPROTO/

/**
 * Tells whether an error is fatal for a Redis connection, and what to fix: a wrong user or password (`WRONGPASS`,
 * `NOAUTH`), an ACL user without a command the module needs (`NOPERM`), or a certificate that is not trusted.
 * @param error a connection or reply error
 * @returns the diagnosis, or undefined for errors that may pass (a refused or lost connection, a timeout)
 * @example
 * describeFatalRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'))?.kind // 'auth'
 */
export function describeFatalRedisError(error: unknown): FatalRedisError | undefined {
  const message = String((error as Error)?.message ?? error)
  const code = String((error as NodeJS.ErrnoException)?.code ?? '')
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
    return { kind: 'auth', message, hint: 'Redis refused the credentials: check the user and password in NUXT_STOREFRONT_STORAGE_SESSION_URL (redis://user:password@host:port), NUXT_STOREFRONT_STORAGE_SESSION_USERNAME and NUXT_STOREFRONT_STORAGE_SESSION_PASSWORD (a cluster\'s nodes and a Sentinel\'s data nodes), or NUXT_STOREFRONT_STORAGE_SESSION_SENTINEL_PASSWORD (the sentinels)' }
  }
  // Redis 7.0 answers a command a script calls without the ACL's permission with an ERR, not a NOPERM.
  if (/NOPERM|user executing the script can't run this command/.test(message)) {
    return { kind: 'acl', message, hint: 'the Redis ACL user lacks a command or key the module needs: give it the README\'s ACL SETUSER line (key pattern on storage.session.base)' }
  }
  if (TLS_CODES.test(code) || /certificate|self.signed|wrong version number|altnames/i.test(message)) {
    return { kind: 'tls', message, hint: 'the TLS handshake with Redis failed: set NUXT_STOREFRONT_STORAGE_SESSION_TLS_CA to the CA that signed the server certificate (a PEM or a file path), and NUXT_STOREFRONT_STORAGE_SESSION_TLS_SERVERNAME to the name in it' }
  }
  return undefined
}

const refusedLogged = new Set<string>()

/**
 * Logs, once per distinct message, a command the Redis ACL refused (`NOPERM`): such a reply comes back at once, so
 * the request is a fast 503 anyway, but waiting will not cure it, and the operator needs to know what to change.
 * Connection errors (credentials, certificates) are logged by the store's monitor instead.
 * @param error what a store operation threw
 * @returns true when the error is fatal (of any kind), so that callers can skip their own, repeated log line
 */
export function reportRefusedCommand(error: unknown): boolean {
  const fatal = describeFatalRedisError(error)
  if (fatal?.kind === 'acl' && !refusedLogged.has(fatal.message)) {
    refusedLogged.add(fatal.message)
    logger.error(`the session store cannot use Redis: ${fatal.message} — ${fatal.hint}`)
  }
  return fatal !== undefined
}

const fatal = new WeakMap<RedisClient, FatalRedisError>()
const tracked = new WeakSet<RedisClient>()
const listeners = new WeakMap<RedisClient, Set<(error: FatalRedisError) => void>>()

/**
 * Follows a client's connection errors: a fatal one (see {@link describeFatalRedisError}) is kept until the client is
 * ready again, so that requests fail at once instead of waiting for a connection that cannot succeed.
 * @param client the client
 * @param onFatal called for each fatal error
 */
export function trackFatalErrors(client: RedisClient, onFatal?: (error: FatalRedisError) => void): void {
  if (onFatal) {
    const set = listeners.get(client) ?? new Set()
    set.add(onFatal)
    listeners.set(client, set)
  }
  if (tracked.has(client)) return
  tracked.add(client)
  const onError = (error: Error) => {
    const described = describeFatalRedisError(error)
    if (!described) return
    fatal.set(client, described)
    for (const listener of listeners.get(client) ?? []) listener(described)
  }
  client.on('error', onError)
  // A cluster reports its own errors as 'Failed to refresh slots cache'; a node's (WRONGPASS, a certificate) come as
  // 'node error' only.
  if ('isCluster' in client && client.isCluster) client.on('node error', onError)
  client.on('ready', () => fatal.delete(client))
}

/**
 * The fatal error that keeps a client from connecting, if any.
 * @param client the client
 * @returns the error, or undefined
 */
export function fatalErrorOf(client: RedisClient): FatalRedisError | undefined {
  return fatal.get(client)
}

const SAFE_POLICIES = /^(?:noeviction|volatile-\w+)$/

/**
 * Reads `maxmemory-policy` from `INFO memory` (no CONFIG permission needed) on every primary a client writes to.
 * @param client the client
 * @returns per node, its address and policy
 */
export async function readEvictionPolicies(client: RedisClient): Promise<{ node: string, policy: string }[]> {
  const nodes: Redis[] = 'isCluster' in client && client.isCluster ? (client as Cluster).nodes('master') : [client as Redis]
  return Promise.all(nodes.map(async (node) => {
    const info = await node.info('memory')
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? 'unknown'
    const { host, port } = node.options as { host?: string, port?: number }
    return { node: `${host ?? '?'}:${port ?? '?'}`, policy }
  }))
}

/**
 * Tells whether a `maxmemory-policy` is one the module accepts without a warning: `noeviction` (a full Redis refuses
 * writes, which answer 503, and loses nothing) or a `volatile-*` policy (it evicts only keys with a TTL, which every
 * key of the module has, so it is for a Redis shared with a cache and sized so that it never evicts). An
 * `allkeys-*` policy evicts a user's index or a merge marker whenever memory runs short.
 * @param policy the policy
 * @returns true when safe
 */
export function isSafeEvictionPolicy(policy: string): boolean {
  return SAFE_POLICIES.test(policy)
}
