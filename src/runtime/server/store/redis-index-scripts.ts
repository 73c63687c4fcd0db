// Scripts on a user's index and on attempt counters, each bounded whatever the index holds. Registered by the Redis
// session store (store-redis.ts).

// Lists one page of a user's sessions, in the index's order (expiry, so least recently active first). Prunes up to
// 100 expired entries, and the page's entries whose record is gone. ARGV: now ms, session key prefix (same slot as
// the index through the user's hash tag), page size, cursor score ('-inf' for the first page), entries of that score
// already returned. Returns total, the next cursor's score and count ('' when this was the last page), then
// hash/meta pairs. Bounded by the page size, whatever the index holds.
export const LIST_USER_SESSIONS = `
local stale = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, 100)
if #stale > 0 then redis.call('ZREM', KEYS[1], unpack(stale)) end
local limit = tonumber(ARGV[3])
local entries = redis.call('ZRANGE', KEYS[1], ARGV[4], '+inf', 'BYSCORE', 'LIMIT', tonumber(ARGV[5]), limit, 'WITHSCORES')
local out = {0, '', ''}
local lastScore, sameScore = ARGV[4], tonumber(ARGV[5])
for i = 1, #entries, 2 do
  local h, score = entries[i], entries[i + 1]
  if score == lastScore then sameScore = sameScore + 1 else lastScore, sameScore = score, 1 end
  local record = redis.call('GET', ARGV[2] .. h)
  local meta = record and string.match(record, '^m\\n([^\\n]*)')
  if meta then
    out[#out + 1] = h
    out[#out + 1] = meta
  else
    redis.call('ZREM', KEYS[1], h)
    sameScore = sameScore - 1
  end
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
export const REMOVE_USER_SESSIONS = `
local keep = {}
for i = 4, #ARGV do keep[ARGV[i]] = true end
local start = tonumber(ARGV[2])
local removed, kept = 0, 0
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], start, start + tonumber(ARGV[3]) - 1)) do
  if keep[h] then
    kept = kept + 1
  else
    removed = removed + redis.call('DEL', ARGV[1] .. h)
    redis.call('ZREM', KEYS[1], h)
  end
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
