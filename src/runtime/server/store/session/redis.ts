import type { RedisClient } from '../redis-client'
import { closeReader, defineScripts, failsWhileDisconnected, readerOf, watchStalledCommands, whenReady } from '../redis-client'
import { durableWrites } from '../redis-durable'
import type { IndexedSession, SessionStore } from './types'
import { COUNT_ATTEMPT, LIST_USER_SESSIONS, REMOVE_USER_SESSIONS } from '../redis-index-scripts'

// A session record is one string of lines, name and value in turn, the meta field `m` first: a read is one GET and
// one reply, like any string. Names and values never contain a line feed (values are JSON texts; the session
// refuses such keys), and a UTF-8 sequence never holds the byte 0x0A, so the lines split back exactly.
//
// The fields of a record while a script changes it, in their order: `put` sets one, `decode` reads a stored record
// (false when it is malformed), `apply` takes the script's field pairs from ARGV[first] on, then the names to delete.
// Shared by the session and user-record scripts, so that both read and write the one layout.
const RECORD_FIELDS = `local names, values, at = {}, {}, {}
local function put(name, value)
  local i = at[name]
  if not i then
    i = #names + 1
    names[i] = name
    at[name] = i
  end
  values[i] = value
end
local function decode(record)
  local pos, len = 1, #record
  while pos <= len do
    local a = string.find(record, '\\n', pos, true)
    if not a then return false end
    local b = string.find(record, '\\n', a + 1, true) or (len + 1)
    put(string.sub(record, pos, a - 1), string.sub(record, a + 1, b - 1))
    pos = b + 1
  end
  return true
end
local function apply(first, npairs)
  for i = first, first + 2 * npairs - 1, 2 do put(ARGV[i], ARGV[i + 1]) end
  for i = first + 2 * npairs, #ARGV do
    if at[ARGV[i]] then values[at[ARGV[i]]] = false end
  end
end
`

// Applies a write to a session record. ARGV: mode ('c' create-if-absent | 'u' update-if-present), ttl ms,
// expiresAt ms, hash, most sessions per user (0: no limit), number of field pairs, the pairs, then the fields to
// delete. KEYS[2] is the user index and KEYS[3] the user's record, if any: the record is kept alive as long as the
// user's longest-lived session. With FOLLOW (a guest's refresh), KEYS[2..] are the guest's basket and wishlist,
// which live as long as the guest session. An update never recreates a destroyed record, so a late save cannot
// resurrect a session. A create past the per-user limit deletes the sessions that would expire first.
const writeSession = (follow: boolean) => `
local FOLLOW = ${follow}
local current = redis.call('GET', KEYS[1])
if ARGV[1] == 'u' and not current then return 0 end
if ARGV[1] == 'c' and current then return 0 end
local ttl = tonumber(ARGV[2])
${RECORD_FIELDS}if current and not decode(current) then return redis.error_reply('SF_MALFORMED') end
apply(7, tonumber(ARGV[6]))
local out = {}
local meta = at['m']
if meta and values[meta] then
  out[1] = 'm'
  out[2] = values[meta]
end
for i = 1, #names do
  if i ~= meta and values[i] then
    out[#out + 1] = names[i]
    out[#out + 1] = values[i]
  end
end
redis.call('SET', KEYS[1], table.concat(out, '\\n'), 'PX', ttl)
if FOLLOW then
  for i = 2, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
elseif KEYS[3] then
  local left = redis.call('PTTL', KEYS[3])
  if left >= 0 and left < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
end
if not FOLLOW and KEYS[2] then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
  local max = tonumber(ARGV[5])
  if ARGV[1] == 'c' and max > 0 then
    -- At most 16 sessions end per login, so that an index that grew past the limit (before it was set) shrinks over
    -- a few logins instead of holding Redis in one long script.
    local extra = math.min(redis.call('ZCARD', KEYS[2]) - max, 16)
    if extra > 0 then
      local prefix = string.sub(KEYS[1], 1, #KEYS[1] - #ARGV[4])
      for _, h in ipairs(redis.call('ZRANGE', KEYS[2], 0, extra)) do
        if extra > 0 and h ~= ARGV[4] then
          redis.call('DEL', prefix .. h)
          redis.call('ZREM', KEYS[2], h)
          extra = extra - 1
        end
      end
    end
  end
end
return 1
`

// Deletes a session and its index entry. ARGV[1] is the hash.
const REMOVE_SESSION = `
redis.call('DEL', KEYS[1])
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[1]) end
return 1
`

// Writes a user's record (lines like a session's, one per top-level key of the user). ARGV: mode ('r' replace |
// 'm' merge into the stored record, which must exist), ttl ms, number of field pairs, the pairs, then the fields to
// delete. The record keeps the longer of its remaining lifetime and the ttl. Two merges of different fields never
// lose either: each changes only its own fields, inside one script.
const WRITE_USER = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == 'm' and not current then return 0 end
${RECORD_FIELDS}if current and ARGV[1] == 'm' and not decode(current) then return redis.error_reply('SF_MALFORMED') end
apply(4, tonumber(ARGV[3]))
local out = {}
for i = 1, #names do
  if values[i] then
    out[#out + 1] = names[i]
    out[#out + 1] = values[i]
  end
end
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], table.concat(out, '\\n'), 'PX', ttl)
return 1
`

/** Sessions one destroy-all script deletes: each batch holds Redis for well under a millisecond. */
export const REMOVE_BATCH = 100

// A guest session has no index: the same scripts are registered once with one key and once with two.
const SCRIPTS = {
  sfWriteGuestSession: { lua: writeSession(false), keys: 1 },
  sfRefreshGuestSession: { lua: writeSession(true), keys: 3 },
  sfWriteUserSession: { lua: writeSession(false), keys: 3 },
  sfWriteUser: { lua: WRITE_USER, keys: 1 },
  sfRemoveGuestSession: { lua: REMOVE_SESSION, keys: 1 },
  sfRemoveUserSession: { lua: REMOVE_SESSION, keys: 2 },
  sfListUserSessions: { lua: LIST_USER_SESSIONS, keys: 1 },
  sfRemoveUserSessions: { lua: REMOVE_USER_SESSIONS, keys: 1 },
  sfCountAttempt: { lua: COUNT_ATTEMPT, keys: 1 },
}

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

    async countAttempts(keys, windowMs) {
      await ready()
      // Issued in one tick: auto-pipelining sends them in one write, and on a cluster each goes to its own node.
      const replies = await Promise.all(keys.map(key => redis.sfCountAttempt(k(key), Math.max(1, Math.ceil(windowMs))) as Promise<[number, number]>))
      return replies.map(([count, resetMs]) => ({ count, resetMs }))
    },

    async dispose() {
      for (const stop of stopWatchdogs ?? []) stop()
      closeReader(client)
    },
  }
}
