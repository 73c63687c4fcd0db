import type { Cluster, Redis } from 'ioredis'
import { fatalErrorOf, trackFatalErrors } from './redis-health'
import type { RedisClient } from './redis-health'
import { logger } from '../log'

/** The ioredis client behind unstorage's redis driver. */
export type { RedisClient } from './redis-health'

const waiting = new WeakMap<RedisClient, Promise<void>>()
const connectedOnce = new WeakSet<RedisClient>()

/**
 * Resolves once the client is connected. The driver runs without an offline queue, so that an outage fails fast:
 * only commands issued while the very first connection is being made wait here (the caller bounds the wait). Once
 * a connection was lost, commands fail at once until ioredis has reconnected.
 * @param client the client
 * @param timeoutMs how long to wait for the first connection (0: as long as it takes)
 * @returns nothing, once ready
 */
export function whenReady(client: RedisClient, timeoutMs = 0): Promise<void> | void {
  if (client.status === 'ready') {
    connectedOnce.add(client)
    return
  }
  const fatal = fatalErrorOf(client)
  if (fatal) {
    throw new Error(`${fatal.message} (${fatal.hint})`)
  }
  if (connectedOnce.has(client)) {
    throw new Error(`not connected to Redis (${client.status})`)
  }
  let pending = waiting.get(client)
  if (!pending) {
    trackFatalErrors(client)
    pending = new Promise<void>((resolve, reject) => {
      const onError = () => {
        const error = fatalErrorOf(client)
        if (!error) return
        client.off('ready', onReady)
        client.off('error', onError)
        waiting.delete(client)
        reject(new Error(`${error.message} (${error.hint})`))
      }
      const onReady = () => {
        client.off('error', onError)
        waiting.delete(client)
        connectedOnce.add(client)
        resolve()
      }
      client.once('ready', onReady)
      client.on('error', onError)
    })
    waiting.set(client, pending)
  }
  if (timeoutMs <= 0) {
    return pending
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection to Redis after ${timeoutMs} ms`)), timeoutMs)
  })
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer))
}

const readers = new WeakMap<RedisClient, RedisClient>()

/**
 * A second connection, for reads only: a write the server holds back (a `CLIENT PAUSE WRITE` during a managed
 * service's maintenance, a `WAIT` for replicas) blocks every command behind it on its connection, so reads go
 * elsewhere and keep answering. It has the writer's options (and its sentinels or cluster nodes); when the writer
 * reconnects after a `READONLY` reply (a failover demoted its node), so does the reader, so that reads follow the
 * primary. Stores that share a client share its reader.
 * @param client the writing client
 * @returns the reading client
 */
export function readerOf(client: RedisClient): RedisClient {
  let reader = readers.get(client)
  if (!reader) {
    const created = client.duplicate() as RedisClient
    reader = created
    readers.set(client, created)
    keepConnecting(client)
    keepConnecting(created)
    const options = client.options as { reconnectOnError?: ((error: Error) => boolean | 1 | 2) | null }
    const own = options.reconnectOnError
    if (typeof own === 'function') {
      options.reconnectOnError = (error) => {
        const reconnect = own(error)
        if (reconnect && created.status === 'ready') (created as Redis).disconnect(true)
        return reconnect
      }
    }
    created.on('error', () => {})
  }
  return reader
}

const kept = new WeakSet<RedisClient>()

/**
 * Works around an ioredis behaviour that ends a client for good: when its connection attempt is aborted (Sentinel's
 * failover detector disconnects on `+switch-master` while the client is still connecting after a lost primary), the
 * attempt fails with "Connection is closed." and the client goes to status `end` instead of retrying. Such a client
 * is connected again; one that was closed on purpose (`disconnect()`, `quit()`) is left alone.
 * @param client the client
 */
export function keepConnecting(client: RedisClient): void {
  if (kept.has(client) || isCluster(client)) return
  kept.add(client)
  let abortedAt = 0
  client.on('error', (error: Error) => {
    if (error?.message === 'Connection is closed.') abortedAt = Date.now()
  })
  client.on('end', () => {
    if (Date.now() - abortedAt > 50) return
    const timer = setTimeout(() => {
      if (client.status !== 'end') return
      logger.warn('a Redis connection attempt was aborted (a failover was announced meanwhile): connecting again')
      ;(client as Redis).connect().catch(() => {})
    }, 100)
    timer.unref?.()
  })
}

/**
 * Closes the reading connection of a client (see {@link readerOf}), when the store that uses it stops.
 * @param client the writing client
 */
export function closeReader(client: RedisClient): void {
  const reader = readers.get(client)
  if (!reader) return
  readers.delete(client)
  reader.disconnect()
}

const isCluster = (client: RedisClient): client is Cluster => 'isCluster' in client && client.isCluster

/** What the watchdog reads of a connection: ioredis' queue of commands sent and not yet answered, and its socket. */
interface WatchedConnection {
  commandQueue?: { length: number, peekFront: () => unknown }
  stream?: { destroy: (error?: Error) => void }
}

const watchdogs = new WeakMap<RedisClient, { users: number, timer: ReturnType<typeof setInterval> }>()

/**
 * Bounds every command sent on a client: a connection whose oldest unanswered command has waited `timeoutMs` is
 * dropped, which fails every command waiting on it at once (no resend) and makes ioredis reconnect. One timer per
 * client checks every `timeoutMs / 8`, so a command fails between `timeoutMs` and 1.25 × `timeoutMs` after it was
 * sent; commands themselves carry no timer, where ioredis' `commandTimeout` costs one per command and its
 * `socketTimeout` one per burst of replies (and lets a server that trickles replies hold a command past the limit).
 * Stores sharing a client share its watchdog, with the limit of the first; it stops when the last one releases it.
 * @param client the client (for a cluster, every node is watched)
 * @param timeoutMs the limit
 * @returns releases the watchdog
 */
export function watchStalledCommands(client: RedisClient, timeoutMs: number): () => void {
  const running = watchdogs.get(client) ?? startWatchdog(client, timeoutMs)
  running.users++
  let released = false
  return () => {
    if (released) return
    released = true
    if (--running.users === 0) {
      clearInterval(running.timer)
      watchdogs.delete(client)
    }
  }
}

function startWatchdog(client: RedisClient, timeoutMs: number) {
  // Per connection: the oldest command seen waiting and when it was first seen.
  const oldest = new WeakMap<object, { command: unknown, since: number }>()
  const check = () => {
    const now = Date.now()
    const connections = (isCluster(client) ? client.nodes('all') : [client]) as unknown as WatchedConnection[]
    for (const connection of connections) {
      const queue = connection.commandQueue
      const command = queue && queue.length > 0 ? queue.peekFront() : undefined
      const seen = oldest.get(connection)
      if (command === undefined) {
        oldest.delete(connection)
      }
      else if (seen?.command !== command) {
        oldest.set(connection, { command, since: now })
      }
      else if (now - seen.since >= timeoutMs) {
        oldest.delete(connection)
        connection.stream?.destroy(new Error(`no reply from Redis for ${timeoutMs} ms`))
      }
    }
  }
  const timer = setInterval(check, Math.max(10, Math.floor(timeoutMs / 8)))
  timer.unref?.()
  const running = { users: 0, timer }
  watchdogs.set(client, running)
  return running
}

/**
 * Tells whether a client fails commands at once while disconnected instead of queueing them (`enableOfflineQueue`
 * off), so that with {@link watchStalledCommands} no command can wait longer than the limit.
 * @param client the client
 * @returns true when it keeps no offline queue
 */
export function failsWhileDisconnected(client: RedisClient): boolean {
  type Queueing = { enableOfflineQueue?: boolean }
  const options = client.options as Queueing & { redisOptions?: Queueing }
  if (isCluster(client)) {
    return options.enableOfflineQueue === false && options.redisOptions?.enableOfflineQueue === false
  }
  return options.enableOfflineQueue === false
}

/** A Lua script and its fixed number of keys. */
export interface ScriptDefinition {
  lua: string
  keys: number
}

/**
 * Registers Lua scripts on a client once (EVALSHA, with EVAL when the server does not know the script yet). Each
 * script has a fixed number of keys: with Redis Cluster, auto-pipelining routes a command by its first key, which it
 * can only find when the key count is declared.
 * @param client the client
 * @param scripts name to script
 * @returns the client, typed with the scripts
 */
export function defineScripts<T extends string>(client: RedisClient, scripts: Record<T, ScriptDefinition>): RedisClient & Record<T, (...args: (string | number)[]) => Promise<unknown>> {
  for (const [name, { lua, keys }] of Object.entries<ScriptDefinition>(scripts)) {
    if (!(name in client)) {
      client.defineCommand(name, { lua, numberOfKeys: keys })
    }
  }
  return client as RedisClient & Record<T, (...args: (string | number)[]) => Promise<unknown>>
}
