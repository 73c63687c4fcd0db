import type { Cluster, Redis } from 'ioredis'

/** The ioredis client behind unstorage's redis driver. */
export type RedisClient = Redis | Cluster

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
  if (connectedOnce.has(client)) {
    throw new Error(`not connected to Redis (${client.status})`)
  }
  let pending = waiting.get(client)
  if (!pending) {
    pending = new Promise<void>((resolve) => {
      client.once('ready', () => {
        waiting.delete(client)
        connectedOnce.add(client)
        resolve()
      })
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

/**
 * The time limit the client itself puts on a waiting command, if any: ioredis `socketTimeout` (the connection is
 * dropped after that long without a reply, failing every waiting command) or `commandTimeout`, whichever is lower.
 * @param client the client
 * @returns ms, or 0 when commands may wait forever
 */
export function clientTimeoutOf(client: RedisClient): number {
  type Limits = { commandTimeout?: number, socketTimeout?: number }
  const options = client.options as Limits & { redisOptions?: Limits }
  const limits = 'isCluster' in client && client.isCluster ? options.redisOptions ?? {} : options
  const given = [limits.commandTimeout, limits.socketTimeout].map(Number).filter(ms => ms > 0)
  return given.length > 0 ? Math.min(...given) : 0
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
