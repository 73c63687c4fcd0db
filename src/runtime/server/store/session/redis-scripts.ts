import { COUNT_ATTEMPT, LIST_USER_SESSIONS, REMOVE_USER_SESSIONS, RETURN_ATTEMPT } from '../redis-index-scripts'
import { META_FIELD } from '../record'
import { RECORD_FIELDS } from '../record-lua'

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
local meta = at['${META_FIELD}']
if meta and values[meta] then
  out[1] = '${META_FIELD}'
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
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], encode(), 'PX', ttl)
return 1
`

/** Sessions one destroy-all script deletes: each batch holds Redis for well under a millisecond. */
export const REMOVE_BATCH = 100

// Takes a keyed call's claim (KEYS[1], for ARGV[1] ms) unless the call's record (KEYS[2]) holds its result: {0, the
// record} when it does, else {1} when the claim is taken, {0} when another call holds it, with the record (a marker
// that holds the call's payload fingerprint) when there is one. One step, so that a call that takes the claim after
// another one gave it up finds that one's result.
const CLAIM_ONCE = `
local recorded = redis.call('GET', KEYS[2])
if recorded and string.sub(recorded, 1, 1) == '{' then return {0, recorded} end
local claimed = 0
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then claimed = 1 end
if recorded then return {claimed, recorded} end
return {claimed}
`

// A guest session has no index: the same scripts are registered once with one key and once with two.
export const SCRIPTS = {
  sfWriteGuestSession: { lua: writeSession(false), keys: 1 },
  sfRefreshGuestSession: { lua: writeSession(true), keys: 3 },
  sfWriteUserSession: { lua: writeSession(false), keys: 3 },
  sfWriteUser: { lua: WRITE_USER, keys: 1 },
  sfRemoveGuestSession: { lua: REMOVE_SESSION, keys: 1 },
  sfRemoveUserSession: { lua: REMOVE_SESSION, keys: 2 },
  sfListUserSessions: { lua: LIST_USER_SESSIONS, keys: 1 },
  sfRemoveUserSessions: { lua: REMOVE_USER_SESSIONS, keys: 1 },
  sfCountAttempt: { lua: COUNT_ATTEMPT, keys: 1 },
  sfReturnAttempt: { lua: RETURN_ATTEMPT, keys: 1 },
  sfClaimOnce: { lua: CLAIM_ONCE, keys: 2 },
}
