import type { RedisClient } from '../redis-client'
import { closeReader, defineScripts, failsWhileDisconnected, readerOf, watchStalledCommands, whenReady } from '../redis-client'
import { durableWrites } from '../redis-durable'
import type { IndexedSession, SessionStore } from './types'
import { REMOVE_BATCH, SCRIPTS } from './redis-scripts'

/**
 * The Redis session store: one string per record, a sorted set scored by expiry per user, one script per operation.
 * @param client the ioredis client of the mounted redis driver
 * @param prefix the driver's key prefix (`base:`)
 * @param timeoutMs the store timeout, which bounds the wait for the first connection
 * @param options durable writes
 * @param options.waitForReplicas replicas that must confirm each write (0: off), see {@link durableWrites}
 * @returns the store
 */
export function createRedisSessionStore(client: RedisClient, prefix: string, timeoutMs = 0, options: { waitForReplicas?: number } = {}): SessionStore {
  const redis = defineScripts(client, SCRIPTS)
  // Reads go through a connection of their own, so that a paused or waiting write never holds them up.
  const reader = readerOf(client)
  const k = (key: string) => prefix + key
  const ready = () => whenReady(client, timeoutMs)
  const readerReady = () => whenReady(reader, timeoutMs)
  // Every read takes the fast path below once connected, without asking whenReady: tell it about the first
  // connection here, so that a later outage fails at once instead of waiting for a reconnection.
  for (const connection of [client, reader]) {
    if (connection.status === 'ready') whenReady(connection)
    else connection.once('ready', () => whenReady(connection))
  }
  // Every command sent is bounded by the watchdog, and none waits unsent while disconnected: no timer per call.
  const stopWatchdogs = timeoutMs > 0 ? [watchStalledCommands(client, timeoutMs), watchStalledCommands(reader, timeoutMs)] : undefined
  const timesOutItself = stopWatchdogs !== undefined && failsWhileDisconnected(client) && failsWhileDisconnected(reader)
  // A WAIT takes at most a quarter of the store timeout, and a write waits for at most two of them.
  const confirm = durableWrites(client, Number(options.waitForReplicas ?? 0), Math.max(1, Math.floor(timeoutMs / 4) || 500))
  const confirmed = async <T>(write: Promise<T>): Promise<T> => {
    const result = await write
    await confirm?.()
    return result
  }

  const runWrite = (keys: { session: string, index?: string, profile?: string, follow?: string[] }, ...args: (string | number)[]) => confirmed(keys.index
    ? redis.sfWriteUserSession(k(keys.session), k(keys.index), k(keys.profile ?? `${keys.index.slice(0, -2)}:p`), ...args)
    : keys.follow?.length === 2
      ? redis.sfRefreshGuestSession(k(keys.session), k(keys.follow[0]!), k(keys.follow[1]!), ...args)
      : redis.sfWriteGuestSession(k(keys.session), ...args))

  return {
    kind: 'redis',
    timesOutItself,

    read(key) {
      // Once connected, the read is the one GET with no await around it; the session reads the lines in place.
      if (reader.status === 'ready') {
        return reader.get(k(key))
      }
      return Promise.resolve(readerReady()).then(() => reader.get(k(key)))
    },

    readWithUser(key, userKey) {
      // Both keys carry the user's hash tag: one MGET, one slot, on Redis Cluster too.
      if (reader.status === 'ready') {
        return reader.mget(k(key), k(userKey)) as Promise<[string | null, string | null]>
      }
      return Promise.resolve(readerReady()).then(() => reader.mget(k(key), k(userKey)) as Promise<[string | null, string | null]>)
    },

    async writeUser(key, _lockKey, write, ttlMs) {
      await ready()
      const pairs = Object.entries(write.set).flat()
      const written = await confirmed(redis.sfWriteUser(k(key), write.replace ? 'r' : 'm', Math.max(1, Math.ceil(ttlMs)), pairs.length / 2, ...pairs, ...write.del))
      return written === 1
    },

    async create(keys, fields, expiry, options) {
      await ready()
      const pairs = Object.entries(fields).flat()
      const created = await runWrite(keys, 'c', expiry.ttlMs, expiry.expiresAt, keys.hash, options?.maxPerUser ?? 0, pairs.length / 2, ...pairs)
      return created === 1
    },

    async update(keys, change, expiry) {
      await ready()
      const pairs = Object.entries(change.set).flat()
      const updated = await runWrite(keys, 'u', expiry.ttlMs, expiry.expiresAt, keys.hash, 0, pairs.length / 2, ...pairs, ...change.del)
      return updated === 1
    },

    async remove(keys) {
      await ready()
      await confirmed(keys.index ? redis.sfRemoveUserSession(k(keys.session), k(keys.index), keys.hash) : redis.sfRemoveGuestSession(k(keys.session), keys.hash))
    },

    async listUserSessions(index, userSessionPrefix, now, page) {
      await ready()
      const reply = await redis.sfListUserSessions(k(index), now, k(userSessionPrefix), page.limit, page.after?.score ?? '-inf', page.after?.count ?? 0) as (string | number)[]
      const sessions: IndexedSession[] = []
      for (let i = 3; i < reply.length; i += 2) {
        sessions.push({ hash: String(reply[i]), meta: String(reply[i + 1]) })
      }
      const next = reply[1] === '' ? null : { score: String(reply[1]), count: Number(reply[2]) }
      return { sessions, total: Number(reply[0]), next }
    },

    async removeUserSessions(index, userSessionPrefix, keepHashes) {
      await ready()
      let removed = 0
      let start = 0
      for (;;) {
        const [deleted, kept, left] = await confirmed(redis.sfRemoveUserSessions(k(index), k(userSessionPrefix), start, REMOVE_BATCH, ...keepHashes)) as [number, number, number]
        removed += deleted
        start += kept
        if (left <= start) return removed
      }
    },

    async readOnce(key) {
      await readerReady()
      return reader.get(k(key))
    },

    async writeOnce(key, value, ttlMs) {
      await ready()
      await confirmed(client.set(k(key), value, 'PX', Math.max(1, Math.ceil(ttlMs))))
    },

    async claimOnce(claimKey, recordKey, ttlMs) {
      await ready()
      const [claimed, record] = await redis.sfClaimOnce(k(claimKey), k(recordKey), Math.max(1, Math.ceil(ttlMs))) as [number, string?]
      return { claimed: claimed === 1, record: record ?? null }
    },

    async releaseOnce(key) {
      await ready()
      await client.del(k(key))
    },

    async countAttempts(keys, windowMs) {
      await ready()
      // Issued in one tick: auto-pipelining sends them in one write, and on a cluster each goes to its own node.
      const replies = await Promise.all(keys.map(key => redis.sfCountAttempt(k(key), Math.max(1, Math.ceil(windowMs))) as Promise<[number, number]>))
      return replies.map(([count, resetMs]) => ({ count, resetMs }))
    },

    async returnAttempts(keys) {
      await ready()
      await Promise.all(keys.map(key => redis.sfReturnAttempt(k(key))))
    },

    async dispose() {
      for (const stop of stopWatchdogs ?? []) stop()
      closeReader(client)
    },
  }
}
