import { RECORD_FIELDS } from '../record-lua'

// The Lua scripts of the Redis commerce store (redis.ts). An owner's basket and wishlist are two fields of one
// record of lines (the session records' layout, record-lua.ts): a guest's in its session record, a user's in
// `<owner>:c` with the user's merge markers. A key costs Redis about 60 bytes before its name, so one record per owner
// instead of a hash, a sorted set and a marker key per login is most of what a shopper costs.
//
//   b   the basket: `<variant>:<quantity>` lines joined by commas, in the order they were added
//   w   the wishlist: product ids joined by commas, in the order they were added
//   g:<guest hash>, mb:<guest hash>, mw:<guest hash>
//       a user's merge markers (both lists, the basket, the wishlist of one guest session): when the marker ends (ms),
//       then `|` and what the merges took in from that guest, the basket's `<variant>:<quantity>` lines and the
//       wishlist's product ids (`g:` holds both, basket first). A marker without `|` was written by an earlier
//       version: its lists were merged whole
//
// Every script takes the record as KEYS[1] and the owner's basket hash and wishlist sorted set of the earlier layout
// as KEYS[2] and KEYS[3] (same hash tag, so one slot): a list the record does not hold is read from there, and the
// first write folds both into the record and deletes them. Ids stay strings: Lua numbers are doubles.
const LISTS = `${RECORD_FIELDS}
local basketIds, basketQty, basketLines = {}, {}, 0
local wishIds, wishSet, wishCount = {}, {}, 0
local legacy = false
local function openLists()
  local b = get('b')
  if b then
    for v, q in string.gmatch(b, '([^:,]+):(%d+)') do
      basketIds[#basketIds + 1] = v
      basketQty[v] = tonumber(q)
    end
  else
    local flat = redis.call('HGETALL', KEYS[2])
    local added = {}
    for i = 1, #flat, 2 do
      local kind, v = string.sub(flat[i], 1, 2), string.sub(flat[i], 3)
      if kind == 'q:' then
        basketIds[#basketIds + 1] = v
        basketQty[v] = tonumber(flat[i + 1])
      elseif kind == 't:' then
        added[v] = tonumber(flat[i + 1])
      end
    end
    if #flat > 0 then legacy = true end
    table.sort(basketIds, function(x, y)
      local ax, ay = added[x] or 0, added[y] or 0
      if ax ~= ay then return ax < ay end
      local nx, ny = tonumber(x), tonumber(y)
      if nx and ny and nx ~= ny then return nx < ny end
      return x < y
    end)
  end
  basketLines = #basketIds
  local w = get('w')
  local members = w and {} or redis.call('ZRANGE', KEYS[3], 0, -1)
  if w then
    for p in string.gmatch(w, '[^,]+') do members[#members + 1] = p end
  elseif #members > 0 then
    legacy = true
  end
  for _, p in ipairs(members) do
    wishIds[#wishIds + 1] = p
    wishSet[p] = true
  end
  wishCount = #wishIds
end
local function basketValue()
  local out, seen = {}, {}
  for _, v in ipairs(basketIds) do
    local q = basketQty[v]
    if q and q > 0 and not seen[v] then
      seen[v] = true
      out[#out + 1] = v .. ':' .. string.format('%d', q)
    end
  end
  return table.concat(out, ',')
end
local function wishlistValue()
  local out, seen = {}, {}
  for _, p in ipairs(wishIds) do
    if wishSet[p] and not seen[p] then
      seen[p] = true
      out[#out + 1] = p
    end
  end
  return table.concat(out, ',')
end
local function setField(name, value)
  if value ~= '' then put(name, value) elseif at[name] then values[at[name]] = false end
end
local function isMarker(name)
  return string.sub(name, 1, 2) == 'g:' or string.sub(name, 1, 3) == 'mb:' or string.sub(name, 1, 3) == 'mw:'
end
local function markerEnd(value)
  return tonumber(string.match(value, '^[^|]*')) or 0
end
-- Puts the lists back and stores the record. A guest's session record keeps its lifetime. A user's lives ttl ms
-- (commerce.dataTtl) while a list holds anything: a marker guards merged lines only while they exist, so it never
-- keeps them past the data lifetime. With both lists empty it lives as long as its merge markers, and goes when
-- nothing is left in it.
local function save(guest, ttl, now)
  local b, w = basketValue(), wishlistValue()
  setField('b', b)
  setField('w', w)
  if guest then
    redis.call('SET', KEYS[1], encode(), 'KEEPTTL')
  else
    if b == '' and w == '' then
      ttl = 0
      for i = 1, #names do
        if values[i] and isMarker(names[i]) then ttl = math.max(ttl, markerEnd(values[i]) - now) end
      end
    end
    if ttl > 0 then redis.call('SET', KEYS[1], encode(), 'PX', string.format('%.0f', ttl)) else redis.call('DEL', KEYS[1]) end
  end
  if legacy then redis.call('DEL', KEYS[2], KEYS[3]) end
end
local function opened()
  local current = redis.call('GET', KEYS[1])
  if current and not decode(current) then return nil, redis.error_reply('SF_MALFORMED') end
  openLists()
  return current
end
`

// Reads both lists. A read decodes nothing but the two fields: in stored lines a line that is exactly \`b\` or \`w\`
// is always a name (values are JSON texts, lists or marker ends). Returns the basket's and the wishlist's values.
const READ_LISTS = `${LISTS}
local current = redis.call('GET', KEYS[1])
if current then
  local lines = '\\n' .. current .. '\\n'
  local b = string.match(lines, '\\nb\\n([^\\n]*)\\n')
  local w = string.match(lines, '\\nw\\n([^\\n]*)\\n')
  if b then put('b', b) end
  if w then put('w', w) end
end
openLists()
return {basketValue(), wishlistValue()}
`

// One write to one list. KEYS: record, earlier basket, earlier wishlist, then for a guest its login lock, then an
// Idempotency-Key record if any. A guest write needs its session record alive and no login under way. A write with
// an Idempotency-Key record is skipped when the record exists, and sets it otherwise: a repeat never applies twice.
// A record of a call with other params (its fingerprint differs; one from before fingerprints has none) refuses it.
// ARGV: list (b|w), guest ('1' or ''), the Idempotency-Key record's ttl ms ('' for none), ttl ms, now ms, id, mode (add|set|remove),
// quantity, cap, max lines or items, the record's value (the call's payload fingerprint). Returns the list's value.
const WRITE_LIST = `${LISTS}
local guest, onceTtl = ARGV[2] == '1', ARGV[3]
local current, failed = opened()
if failed then return failed end
if guest then
  if not current then return redis.error_reply('SF_GONE') end
  if redis.call('EXISTS', KEYS[4]) == 1 then return redis.error_reply('SF_LOCKED') end
end
local list, id, mode = ARGV[1], ARGV[6], ARGV[7]
local function reply()
  if list == 'b' then return basketValue() end
  return wishlistValue()
end
if onceTtl ~= '' then
  local recorded = redis.call('GET', KEYS[#KEYS])
  if recorded then
    local first, fingerprint = string.sub(recorded, 1, 1), string.sub(ARGV[11], 2)
    if first == '~' and recorded ~= ARGV[11] then return redis.error_reply('SF_KEY_REUSED') end
    if first == '{' and string.find(recorded, ',"f":"', 1, true) and string.sub(recorded, -(#fingerprint + 7)) ~= '"f":"' .. fingerprint .. '"}' then
      return redis.error_reply('SF_KEY_REUSED')
    end
    return reply()
  end
end
if list == 'b' then
  local had = basketQty[id] or 0
  local wanted = tonumber(ARGV[8])
  if mode == 'add' then wanted = had + wanted end
  if wanted > tonumber(ARGV[9]) then wanted = tonumber(ARGV[9]) end
  if wanted <= 0 then
    basketQty[id] = nil
  else
    if had == 0 then
      if basketLines >= tonumber(ARGV[10]) then return redis.error_reply('SF_FULL') end
      basketIds[#basketIds + 1] = id
      basketLines = basketLines + 1
    end
    basketQty[id] = wanted
  end
elseif mode == 'add' then
  if not wishSet[id] then
    if wishCount >= tonumber(ARGV[10]) then return redis.error_reply('SF_FULL') end
    wishIds[#wishIds + 1] = id
    wishSet[id] = true
  end
else
  wishSet[id] = nil
end
save(guest, tonumber(ARGV[4]), tonumber(ARGV[5]))
if onceTtl ~= '' then redis.call('SET', KEYS[#KEYS], ARGV[11], 'PX', onceTtl) end
return reply()
`

// Empties one list (KEYS: record, earlier basket, earlier wishlist; ARGV: list, guest ('1' or '')). Never creates a
// record; the record keeps its lifetime.
const CLEAR_LIST = `${RECORD_FIELDS}
local earlier = ARGV[1] == 'b' and KEYS[2] or KEYS[3]
redis.call('DEL', earlier)
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if not decode(current) then return redis.error_reply('SF_MALFORMED') end
if not get(ARGV[1]) then return 0 end
values[at[ARGV[1]]] = false
local record = encode()
if record == '' and ARGV[2] ~= '1' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], record, 'KEEPTTL') end
return 1
`

// Markers a user's record keeps at most: those that end first go (a guest session merges once per login, and its
// own record ends at that login).
const MAX_MARKERS = 32

// A merge of one guest session's lists into a user's. Each list's marker keeps what was taken in from that guest, so a
// later merge of the same guest (after a login that failed once the merge was in) takes in only what is new: a
// line's quantity above what was taken, an item not taken yet. A list with nothing new is left alone (-1). KEYS: the
// user's record, earlier basket, earlier wishlist, then the earlier layout's basket and wishlist marker keys of this
// guest (they mean merged whole). ARGV: which lists (g both | b | w), the guest session's hash for the basket's
// marker, policy, cap, max lines, max items, data ttl ms, marker ttl ms, now ms, number of lines n, the hash for the
// wishlist's marker, then n variant/quantity pairs, then product ids. Returns the wishlist's added count (or -1),
// then the basket's counts (or -1).
const MERGE = `${LISTS}
local current, failed = opened()
if failed then return failed end
local now = tonumber(ARGV[9])
local markers = {}
for i = 1, #names do
  if values[i] and isMarker(names[i]) then
    if markerEnd(values[i]) <= now then values[i] = false else markers[#markers + 1] = i end
  end
end
local what, hb, hw = ARGV[1], ARGV[2], ARGV[11]
-- What a marker took in: nil for no marker, false for one of an earlier version (merged whole), else its text.
local function takenBy(name, part)
  local value = get(name)
  if not value then return nil end
  local fields = {}
  for field in string.gmatch(value .. '|', '([^|]*)|') do fields[#fields + 1] = field end
  if #fields == 1 then return false end
  return fields[part + 1] or ''
end
local function taken(single, hash, part)
  local t = takenBy(single .. hash, 1)
  if t == nil then t = takenBy('g:' .. hash, part) end
  return t
end
local bTaken, wTaken = false, false
if what ~= 'w' then bTaken = taken('mb:', hb, 1) end
if what ~= 'b' then wTaken = taken('mw:', hw, 2) end
if bTaken ~= false and redis.call('EXISTS', KEYS[4]) == 1 then bTaken = false end
if wTaken ~= false and redis.call('EXISTS', KEYS[5]) == 1 then wTaken = false end
local last = 11 + 2 * tonumber(ARGV[10])
local counts = {-1}
local doBasket = false
local bSnap, bOrder = {}, {}
if bTaken ~= false then
  for v, q in string.gmatch(bTaken or '', '([^:,]+):(%d+)') do
    bOrder[#bOrder + 1] = v
    bSnap[v] = tonumber(q)
  end
  doBasket = bTaken == nil
  local policy, cap, maxLines = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
  local added, combined, capped, dropped, units = 0, 0, 0, 0, 0
  for i = 12, last, 2 do
    local v, g = ARGV[i], tonumber(ARGV[i + 1])
    local already = bSnap[v]
    if not already then
      already = 0
      bOrder[#bOrder + 1] = v
      bSnap[v] = 0
    end
    if g > already then bSnap[v] = g end
    local take = g - already
    if take > 0 then
      doBasket = true
      local mine = basketQty[v] or 0
      local wanted = -1
      if mine == 0 then
        if basketLines >= maxLines then
          dropped = dropped + 1
        else
          wanted = take
          added = added + 1
          basketLines = basketLines + 1
          basketIds[#basketIds + 1] = v
        end
      else
        combined = combined + 1
        if policy == 'sum' then wanted = mine + take
        elseif policy == 'max' then wanted = math.max(mine, g)
        else wanted = mine end
      end
      if wanted >= 0 then
        if wanted > cap then
          wanted = cap
          capped = capped + 1
        end
        units = units + wanted - mine
        basketQty[v] = wanted
      end
    end
  end
  if doBasket then counts = {added, combined, capped, dropped, units} end
end
local wishlistAdded = -1
local doWishlist = false
local wSnap, wOrder = {}, {}
if wTaken ~= false then
  for p in string.gmatch(wTaken or '', '[^,]+') do
    wOrder[#wOrder + 1] = p
    wSnap[p] = true
  end
  doWishlist = wTaken == nil
  local added, maxItems = 0, tonumber(ARGV[6])
  for i = last + 1, #ARGV do
    local p = ARGV[i]
    if not wSnap[p] then
      wSnap[p] = true
      wOrder[#wOrder + 1] = p
      doWishlist = true
      if not wishSet[p] and wishCount < maxItems then
        wishIds[#wishIds + 1] = p
        wishSet[p] = true
        wishCount = wishCount + 1
        added = added + 1
      end
    end
  end
  if doWishlist then wishlistAdded = added end
end
local function basketTaken()
  local out = {}
  for _, v in ipairs(bOrder) do out[#out + 1] = v .. ':' .. string.format('%d', bSnap[v]) end
  return table.concat(out, ',')
end
local function mark(name, value)
  local live = get(name) ~= nil
  put(name, string.format('%.0f', now + tonumber(ARGV[8])) .. '|' .. value)
  if not live then markers[#markers + 1] = at[name] end
end
local function unmark(name)
  if at[name] then values[at[name]] = false end
end
if doBasket or doWishlist then
  if what == 'g' and hb == hw and bTaken ~= false and wTaken ~= false then
    mark('g:' .. hb, basketTaken() .. '|' .. table.concat(wOrder, ','))
    unmark('mb:' .. hb)
    unmark('mw:' .. hb)
  else
    if doBasket then mark('mb:' .. hb, basketTaken()) end
    if doWishlist then mark('mw:' .. hw, table.concat(wOrder, ',')) end
  end
  local live = {}
  for _, i in ipairs(markers) do
    if values[i] then live[#live + 1] = i end
  end
  markers = live
  if #markers > ${MAX_MARKERS} then
    table.sort(markers, function(x, y) return markerEnd(values[x]) < markerEnd(values[y]) end)
    for i = 1, #markers - ${MAX_MARKERS} do values[markers[i]] = false end
  end
  save(false, tonumber(ARGV[7]), now)
end
local out = {wishlistAdded}
for _, n in ipairs(counts) do out[#out + 1] = n end
return out
`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

/**
 * The commerce scripts by name. A list write takes 3 keys, one more for a guest's login lock, one more for an
 * Idempotency-Key record.
 */
export const SCRIPTS = {
  sfReadLists: { lua: READ_LISTS, keys: 3 },
  sfWriteList: { lua: WRITE_LIST, keys: 3 },
  sfWriteList4: { lua: WRITE_LIST, keys: 4 },
  sfWriteList5: { lua: WRITE_LIST, keys: 5 },
  sfClearList: { lua: CLEAR_LIST, keys: 3 },
  sfMergeLists: { lua: MERGE, keys: 5 },
  sfRelease: { lua: RELEASE, keys: 1 },
}
