// The Lua scripts of the Redis commerce store (redis.ts). Every script touches one owner's keys (one hash tag), so
// each runs on one slot of a Redis Cluster.

// Shared by the write scripts: a guest write needs its session (KEYS[2]) alive and no login (KEYS[3]) under way. A
// write with an Idempotency-Key record (the last key; its ttl in ARGV[once]) is skipped when the record exists, and
// sets it otherwise: a repeat of the call never applies twice, even when the first answer was lost.
const GUARD = `
if #KEYS >= 3 then
  if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('SF_GONE') end
  if redis.call('EXISTS', KEYS[3]) == 1 then return redis.error_reply('SF_LOCKED') end
end
`

// A basket is a hash: q:<variant> = quantity, t:<variant> = when the line was added (for display order).
// ARGV: variant, quantity, mode (add|set), cap, max lines, ttl ms, now ms. Returns the whole basket.
const WRITE_BASKET = `${GUARD}
local once = ARGV[8] and ARGV[8] ~= ''
if once and redis.call('EXISTS', KEYS[#KEYS]) == 1 then return redis.call('HGETALL', KEYS[1]) end
local field = 'q:' .. ARGV[1]
local current = tonumber(redis.call('HGET', KEYS[1], field) or '0')
local wanted = tonumber(ARGV[2])
if ARGV[3] == 'add' then wanted = current + wanted end
if wanted > tonumber(ARGV[4]) then wanted = tonumber(ARGV[4]) end
if wanted <= 0 then
  redis.call('HDEL', KEYS[1], field, 't:' .. ARGV[1])
else
  if current == 0 then
    if redis.call('HLEN', KEYS[1]) / 2 >= tonumber(ARGV[5]) then return redis.error_reply('SF_FULL') end
    redis.call('HSET', KEYS[1], 't:' .. ARGV[1], ARGV[7])
  end
  redis.call('HSET', KEYS[1], field, wanted)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
if once then redis.call('SET', KEYS[#KEYS], '1', 'PX', ARGV[8]) end
return redis.call('HGETALL', KEYS[1])
`

// A wishlist is a sorted set of product ids scored by when they were added. ARGV: product, mode (add|remove),
// max items, ttl ms, now ms. Returns the members with scores.
const WRITE_WISHLIST = `${GUARD}
local once = ARGV[6] and ARGV[6] ~= ''
if once and redis.call('EXISTS', KEYS[#KEYS]) == 1 then return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES') end
if ARGV[2] == 'add' then
  if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
    if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return redis.error_reply('SF_FULL') end
    redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
if once then redis.call('SET', KEYS[#KEYS], '1', 'PX', ARGV[6]) end
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
`

// The two merges into a user's basket and wishlist, as functions over ARGV ranges, shared by the scripts that run
// one of them and by the login's script that runs both.
//
// mergeBasket merges guest lines (variant/quantity pairs in ARGV[first..last]) into a basket once: the marker is set
// in the same step. Returns the counts, or -1 when the marker was there (already merged).
const MERGE_BASKET_FN = `
local function mergeBasket(key, marker, policy, cap, maxLines, ttl, markerTtl, now, first, last)
  if not redis.call('SET', marker, '1', 'NX', 'PX', markerTtl) then return -1 end
  local added, combined, capped, dropped, units = 0, 0, 0, 0, 0
  local lines = redis.call('HLEN', key) / 2
  for i = first, last, 2 do
    local variant = ARGV[i]
    local guest = tonumber(ARGV[i + 1])
    local mine = tonumber(redis.call('HGET', key, 'q:' .. variant) or '0')
    local wanted = -1
    if mine == 0 then
      if lines >= maxLines then
        dropped = dropped + 1
      else
        wanted = guest
        added = added + 1
        lines = lines + 1
        -- One step apart, so that the merged lines keep the guest's order.
        redis.call('HSET', key, 't:' .. variant, now + added)
      end
    else
      combined = combined + 1
      if policy == 'sum' then wanted = mine + guest
      elseif policy == 'max' then wanted = math.max(mine, guest)
      else wanted = mine end
    end
    if wanted >= 0 then
      if wanted > cap then
        wanted = cap
        capped = capped + 1
      end
      units = units + wanted - mine
      redis.call('HSET', key, 'q:' .. variant, wanted)
    end
  end
  if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, ttl) end
  return {added, combined, capped, dropped, units}
end
`

// mergeWishlist merges guest items (product/addedAt pairs in ARGV[first..last]) once. Returns how many were new, or
// -1 when the marker was there.
const MERGE_WISHLIST_FN = `
local function mergeWishlist(key, marker, maxItems, ttl, markerTtl, first, last)
  if not redis.call('SET', marker, '1', 'NX', 'PX', markerTtl) then return -1 end
  local added = 0
  for i = first, last, 2 do
    if not redis.call('ZSCORE', key, ARGV[i]) and redis.call('ZCARD', key) < maxItems then
      redis.call('ZADD', key, ARGV[i + 1], ARGV[i])
      added = added + 1
    end
  end
  if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, ttl) end
  return added
end
`

// KEYS: basket, marker. ARGV: policy, cap, max lines, ttl ms, marker ttl ms, now ms, then variant/quantity pairs.
const MERGE_BASKET = `${MERGE_BASKET_FN}
return mergeBasket(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6]), 7, #ARGV)
`

// KEYS: wishlist, marker. ARGV: max items, ttl ms, marker ttl ms, then product/addedAt pairs.
const MERGE_WISHLIST = `${MERGE_WISHLIST_FN}
return mergeWishlist(KEYS[1], KEYS[2], tonumber(ARGV[1]), ARGV[2], ARGV[3], 4, #ARGV)
`

// A login's merge of a guest into a user, both lists in one step on the user's slot, each once under its own marker.
// KEYS: basket, basket marker, wishlist, wishlist marker. ARGV: policy, cap, max lines, ttl ms, marker ttl ms, now ms,
// max items, number of lines n, then n variant/quantity pairs, then product/addedAt pairs. Returns the wishlist's
// result, then the basket's counts (or -1).
const MERGE_GUEST = `${MERGE_BASKET_FN}${MERGE_WISHLIST_FN}
local last = 8 + 2 * tonumber(ARGV[8])
local basket = mergeBasket(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6]), 9, last)
local wishlist = mergeWishlist(KEYS[3], KEYS[4], tonumber(ARGV[7]), ARGV[4], ARGV[5], last + 1, #ARGV)
if basket == -1 then return {wishlist, -1} end
return {wishlist, basket[1], basket[2], basket[3], basket[4], basket[5]}
`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

/** The commerce scripts by name. Guest writes carry two guard keys (session and login lock); user writes none. */
export const SCRIPTS = {
  sfWriteBasket: { lua: WRITE_BASKET, keys: 1 },
  sfWriteBasketOnce: { lua: WRITE_BASKET, keys: 2 },
  sfWriteGuestBasket: { lua: WRITE_BASKET, keys: 3 },
  sfWriteGuestBasketOnce: { lua: WRITE_BASKET, keys: 4 },
  sfWriteWishlist: { lua: WRITE_WISHLIST, keys: 1 },
  sfWriteWishlistOnce: { lua: WRITE_WISHLIST, keys: 2 },
  sfWriteGuestWishlist: { lua: WRITE_WISHLIST, keys: 3 },
  sfWriteGuestWishlistOnce: { lua: WRITE_WISHLIST, keys: 4 },
  sfMergeBasket: { lua: MERGE_BASKET, keys: 2 },
  sfMergeWishlist: { lua: MERGE_WISHLIST, keys: 2 },
  sfMergeGuest: { lua: MERGE_GUEST, keys: 4 },
  sfRelease: { lua: RELEASE, keys: 1 },
}
