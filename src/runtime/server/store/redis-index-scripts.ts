// Scripts on a user's index and on attempt counters, each bounded whatever the index holds. Registered by the Redis
// session store (store-redis.ts).

// Lists one page of a user's sessions, in the index's order (expiry, so least recently active first). Prunes up to
// 100 expired entries, and the page's entries whose record is gone. ARGV: now ms, session key prefix (same slot as
// the index through the user's hash tag), page size, cursor score ('-inf' for the first page), entries of that score
// already returned. Returns total, the next cursor's score and count ('' when this was the last page), then
// hash/meta pairs. Bounded by the page size, whatever the index holds.
//
// A fixed number of commands per page, whatever its size: the page's records come in one MGET, and the entries whose
// record is gone leave in one ZREM. Each command a script calls costs far more than the Lua around it. The scripts
// call only the commands of the ACL line in the README, so that an upgrade never meets a NOPERM.
export const LIST_USER_SESSIONS = `
local stale = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, 100)
if #stale > 0 then redis.call('ZREM', KEYS[1], unpack(stale)) end
local limit = tonumber(ARGV[3])
local entries = redis.call('ZRANGE', KEYS[1], ARGV[4], '+inf', 'BYSCORE', 'LIMIT', tonumber(ARGV[5]), limit, 'WITHSCORES')
local out = {0, '', ''}
local lastScore, sameScore = ARGV[4], tonumber(ARGV[5])
if #entries > 0 then
  local keys = {}
  for i = 1, #entries, 2 do keys[#keys + 1] = ARGV[2] .. entries[i] end
  local records = redis.call('MGET', unpack(keys))
  local gone = {}
  for i = 1, #entries, 2 do
    local h, score = entries[i], entries[i + 1]
    if score == lastScore then sameScore = sameScore + 1 else lastScore, sameScore = score, 1 end
    local record = records[(i + 1) / 2]
    local meta
    -- The meta field comes first: 'm', a line feed, the meta up to the next line feed.
    if record and string.byte(record, 1) == 109 and string.byte(record, 2) == 10 then
      local stop = string.find(record, '\\n', 3, true)
      meta = string.sub(record, 3, stop and stop - 1 or -1)
    end
    if meta then
      out[#out + 1] = h
      out[#out + 1] = meta
    else
      gone[#gone + 1] = h
      sameScore = sameScore - 1
    end
  end
  if #gone > 0 then redis.call('ZREM', KEYS[1], unpack(gone)) end
end
if #entries / 2 == limit and #redis.call('ZRANGE', KEYS[1], lastScore, '+inf', 'BYSCORE', 'LIMIT', sameScore, 1) > 0 then
  out[2] = lastScore
  out[3] = sameScore
end
out[1] = redis.call('ZCARD', KEYS[1])
return out
`

// Deletes one batch of a user's sessions but the kept ones: the entries at ranks ARGV[2] to ARGV[2] + ARGV[3] - 1,
// so that one script never holds Redis for long, however many sessions the user has. ARGV: session key prefix,
// first rank, batch size, then the hashes to keep. Returns how many records were deleted, how many kept entries the
// batch met (they stay in front of the next batch) and how many entries the index still has.
//
// Three commands per batch, not two per session: the ZRANGE, one DEL of every record and one ZREM of their entries.
export const REMOVE_USER_SESSIONS = `
local keep = {}
for i = 4, #ARGV do keep[ARGV[i]] = true end
local start = tonumber(ARGV[2])
local batch = redis.call('ZRANGE', KEYS[1], start, start + tonumber(ARGV[3]) - 1)
local keys, hashes = {}, {}
for _, h in ipairs(batch) do
  if not keep[h] then
    keys[#keys + 1] = ARGV[1] .. h
    hashes[#hashes + 1] = h
  end
end
local removed, kept = 0, #batch - #hashes
if #keys > 0 then
  removed = redis.call('DEL', unpack(keys))
  redis.call('ZREM', KEYS[1], unpack(hashes))
end
return {removed, kept, redis.call('ZCARD', KEYS[1])}
`

// One attempt in a fixed window: the first one opens the window. Returns the count and the ms left in the window.
export const COUNT_ATTEMPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
`

// Gives back one attempt of a window that is still open (a login that succeeded): never below 0, and never a key
// where the window has closed meanwhile (a DECR there would make a key with no expiry). SET with KEEPTTL keeps the
// window, and is a command the README's ACL line allows already.
export const RETURN_ATTEMPT = `
local count = tonumber(redis.call('GET', KEYS[1]))
if count and count > 0 then redis.call('SET', KEYS[1], count - 1, 'KEEPTTL') end
return 0
`
