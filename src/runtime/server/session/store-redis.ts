import type { RedisClient } from './redis-client'
import { clientTimeoutOf, defineScripts, whenReady } from './redis-client'
import type { IndexedSession, SessionStore } from './store'

// Applies a write to a session hash. ARGV: mode ('c' create-if-absent | 'u' update-if-present), ttl ms,
// expiresAt ms, hash, most sessions per user (0: no limit), number of field pairs, the pairs, then the fields to
// delete. KEYS[2] is the user index, if any. An update never recreates a destroyed record, so a late save cannot
// resurrect a session. A create past the per-user limit deletes the sessions that would expire first.
const WRITE_SESSION = `
local exists = redis.call('EXISTS', KEYS[1])
if ARGV[1] == 'u' and exists == 0 then return 0 end
if ARGV[1] == 'c' and exists == 1 then return 0 end
local ttl = tonumber(ARGV[2])
local npairs = tonumber(ARGV[6])
local first = 7
if npairs > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, first, first + 2 * npairs - 1))
end
local del = first + 2 * npairs
if #ARGV >= del then
  redis.call('HDEL', KEYS[1], unpack(ARGV, del))
end
redis.call('PEXPIRE', KEYS[1], ttl)
if KEYS[2] then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
  local max = tonumber(ARGV[5])
  if ARGV[1] == 'c' and max > 0 then
    local extra = redis.call('ZCARD', KEYS[2]) - max
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

// Lists a user's sessions: prunes index entries that expired or whose record is gone, returns hash/meta pairs.
// ARGV: now ms, session key prefix (same slot as the index through the user's hash tag).
const LIST_USER_SESSIONS = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local out = {}
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local meta = redis.call('HGET', ARGV[2] .. h, 'm')
  if meta then
    out[#out + 1] = h
    out[#out + 1] = meta
  else
    redis.call('ZREM', KEYS[1], h)
  end
end
return out
`

// Deletes every session of a user but the kept ones, in one step: O(that user's sessions), no keyspace scan.
// ARGV: session key prefix, then the hashes to keep.
const REMOVE_USER_SESSIONS = `
local keep = {}
for i = 2, #ARGV do keep[ARGV[i]] = true end
local removed = 0
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not keep[h] then
    removed = removed + redis.call('DEL', ARGV[1] .. h)
    redis.call('ZREM', KEYS[1], h)
  end
end
return removed
`

// A guest session has no index: the same scripts are registered once with one key and once with two.
const SCRIPTS = {
  sfWriteGuestSession: { lua: WRITE_SESSION, keys: 1 },
  sfWriteUserSession: { lua: WRITE_SESSION, keys: 2 },
  sfRemoveGuestSession: { lua: REMOVE_SESSION, keys: 1 },
  sfRemoveUserSession: { lua: REMOVE_SESSION, keys: 2 },
  sfListUserSessions: { lua: LIST_USER_SESSIONS, keys: 1 },
  sfRemoveUserSessions: { lua: REMOVE_USER_SESSIONS, keys: 1 },
}

/**
 * The Redis session store: hashes for records, a sorted set scored by expiry per user, one script per operation.
 * @param client the ioredis client of the mounted redis driver
 * @param prefix the driver's key prefix (`base:`)
 * @param timeoutMs the store timeout, which bounds the wait for the first connection
 * @returns the store
 */
export function createRedisSessionStore(client: RedisClient, prefix: string, timeoutMs = 0): SessionStore {
  const redis = defineScripts(client, SCRIPTS)
  const k = (key: string) => prefix + key
  const ready = () => whenReady(client, timeoutMs)
  // With a command timeout no longer than the store timeout, ioredis bounds every command itself.
  // Every read takes the fast path below once connected, without asking whenReady: tell it about the first
  // connection here, so that a later outage fails at once instead of waiting for a reconnection.
  if (client.status === 'ready') whenReady(client)
  else client.once('ready', () => whenReady(client))
  const timesOutItself = timeoutMs > 0 && clientTimeoutOf(client) > 0 && clientTimeoutOf(client) <= timeoutMs

  const runWrite = (keys: { session: string, index?: string }, ...args: (string | number)[]) => keys.index
    ? redis.sfWriteUserSession(k(keys.session), k(keys.index), ...args)
    : redis.sfWriteGuestSession(k(keys.session), ...args)

  return {
    kind: 'redis',
    timesOutItself,

    read(key) {
      // Once connected, the read is the one HGETALL with no await around it.
      if (client.status === 'ready') {
        return redis.hgetall(k(key)).then(recordOrNull)
      }
      return Promise.resolve(ready()).then(() => redis.hgetall(k(key))).then(recordOrNull)
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
      await (keys.index ? redis.sfRemoveUserSession(k(keys.session), k(keys.index), keys.hash) : redis.sfRemoveGuestSession(k(keys.session), keys.hash))
    },

    async listUserSessions(index, userSessionPrefix, now): Promise<IndexedSession[]> {
      await ready()
      const flat = await redis.sfListUserSessions(k(index), now, k(userSessionPrefix)) as string[]
      const sessions: IndexedSession[] = []
      for (let i = 0; i < flat.length; i += 2) {
        sessions.push({ hash: flat[i]!, meta: flat[i + 1]! })
      }
      return sessions
    },

    async removeUserSessions(index, userSessionPrefix, keepHashes) {
      await ready()
      return await redis.sfRemoveUserSessions(k(index), k(userSessionPrefix), ...keepHashes) as number
    },

    async dispose() {},
  }
}

/** HGETALL answers an empty hash for a missing key; a hash without its meta field is no session either. */
function recordOrNull(fields: Record<string, string>): Record<string, string> | null {
  return fields.m ? fields : null
}
