import type { BasketLine, WishlistItem } from '../../../types/commerce'
import type { RedisClient } from '../redis-client'
import { defineScripts, readerOf, whenReady } from '../redis-client'
import { durableWrites } from '../redis-durable'
import type { CommerceGuard, CommerceStore } from './types'
import { CommerceConflictError, CommerceLimitError } from './types'

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

// Merges guest lines into a user's basket once: the marker (KEYS[2]) is set in the same step.
// ARGV: policy, cap, max lines, ttl ms, marker ttl ms, now ms, then variant/quantity pairs.
const MERGE_BASKET = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[5]) then return -1 end
local added, combined, capped, dropped, units = 0, 0, 0, 0, 0
local cap = tonumber(ARGV[2])
local lines = redis.call('HLEN', KEYS[1]) / 2
for i = 7, #ARGV, 2 do
  local variant = ARGV[i]
  local guest = tonumber(ARGV[i + 1])
  local mine = tonumber(redis.call('HGET', KEYS[1], 'q:' .. variant) or '0')
  local wanted = -1
  if mine == 0 then
    if lines >= tonumber(ARGV[3]) then
      dropped = dropped + 1
    else
      wanted = guest
      added = added + 1
      lines = lines + 1
      -- One step apart, so that the merged lines keep the guest's order.
      redis.call('HSET', KEYS[1], 't:' .. variant, tonumber(ARGV[6]) + added)
    end
  else
    combined = combined + 1
    if ARGV[1] == 'sum' then wanted = mine + guest
    elseif ARGV[1] == 'max' then wanted = math.max(mine, guest)
    else wanted = mine end
  end
  if wanted >= 0 then
    if wanted > cap then
      wanted = cap
      capped = capped + 1
    end
    units = units + wanted - mine
    redis.call('HSET', KEYS[1], 'q:' .. variant, wanted)
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return {added, combined, capped, dropped, units}
`

// Merges guest wishlist items once. ARGV: max items, ttl ms, marker ttl ms, then product/addedAt pairs.
const MERGE_WISHLIST = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then return -1 end
local added = 0
for i = 4, #ARGV, 2 do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) and redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
    added = added + 1
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return added
`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

// Guest writes carry two guard keys (session and login lock); user writes carry none.
const SCRIPTS = {
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
  sfRelease: { lua: RELEASE, keys: 1 },
}

type OnceRecord = { key: string, ttlMs: number }

/**
 * The Redis commerce store: one script per write, replies that carry the new state, so a write is one round trip.
 * @param client the client of the session mount's redis driver
 * @param prefix the driver's key prefix
 * @param options durable writes, as for the session store
 * @param options.waitForReplicas replicas that must confirm each write (0: off)
 * @param options.timeoutMs the store timeout (a WAIT takes at most a quarter of it)
 * @returns the store
 */
export function createRedisCommerceStore(client: RedisClient, prefix: string, options: { waitForReplicas?: number, timeoutMs?: number } = {}): CommerceStore {
  const redis = defineScripts(client, SCRIPTS)
  // Reads share the session store's read connection: a paused write does not hold them up.
  const reader = readerOf(client)
  const k = (key: string) => prefix + key
  const confirm = durableWrites(client, Number(options.waitForReplicas ?? 0), Math.max(1, Math.floor((options.timeoutMs ?? 0) / 4) || 500))
  const confirmed = async <T>(write: Promise<T>): Promise<T> => {
    const result = await write
    await confirm?.()
    return result
  }
  // One write, through the script variant its keys need: a guest's guard keys, and the Idempotency-Key record last.
  type ScriptName = keyof typeof SCRIPTS
  const guardedWrite = (plain: ScriptName, guest: ScriptName, plainOnce: ScriptName, guestOnce: ScriptName) =>
    (key: string, guard: CommerceGuard | undefined, once: OnceRecord | undefined, ...args: (string | number)[]) => {
      const name = once ? (guard ? guestOnce : plainOnce) : (guard ? guest : plain)
      const keys = [k(key), ...(guard ? [k(guard.session), k(guard.lock)] : []), ...(once ? [k(once.key)] : [])]
      return confirmed(redis[name](...keys, ...args, ...(once ? [once.ttlMs] : [])))
    }
  const writeBasket = guardedWrite('sfWriteBasket', 'sfWriteGuestBasket', 'sfWriteBasketOnce', 'sfWriteGuestBasketOnce')
  const writeWishlist = guardedWrite('sfWriteWishlist', 'sfWriteGuestWishlist', 'sfWriteWishlistOnce', 'sfWriteGuestWishlistOnce')

  async function run<T>(work: () => Promise<T>, connection: RedisClient = client): Promise<T> {
    await whenReady(connection)
    try {
      return await work()
    }
    catch (error) {
      const message = (error as Error)?.message ?? ''
      if (message.includes('SF_GONE')) throw new CommerceConflictError('the session ended; reload and try again')
      if (message.includes('SF_LOCKED')) throw new CommerceConflictError('this guest basket is being merged into a login; try again')
      if (message.includes('SF_FULL')) throw new CommerceLimitError('the basket or wishlist is full')
      throw error
    }
  }

  return {
    readBasket: key => run(async () => basketFromHash(await reader.hgetall(k(key))), reader),
    writeBasket: (key, change, options) => run(async () => basketFromFlat(await writeBasket(
      key, options.guard, options.once, change.variantId, change.quantity, change.mode, options.cap, options.maxLines, options.ttlMs, Date.now(),
    ) as string[])),
    readWishlist: key => run(async () => wishlistFromFlat(await reader.zrange(k(key), 0, -1, 'WITHSCORES')), reader),
    writeWishlist: (key, change, options) => run(async () => wishlistFromFlat(await writeWishlist(
      key, options.guard, options.once, change.productId, change.mode, options.maxItems, options.ttlMs, Date.now(),
    ) as string[])),
    mergeBasket: (key, marker, lines, options) => run(async () => {
      const pairs = lines.flatMap(line => [line.variantId, line.quantity])
      const result = await confirmed(redis.sfMergeBasket(k(key), k(marker), options.policy, options.cap, options.maxLines, options.ttlMs, options.markerTtlMs, Date.now(), ...pairs)) as number | number[]
      if (!Array.isArray(result)) return null
      const [linesAdded, linesCombined, linesCapped, linesDropped, unitsAdded] = result as [number, number, number, number, number]
      return { linesAdded, linesCombined, linesCapped, linesDropped, unitsAdded }
    }),
    mergeWishlist: (key, marker, items, options) => run(async () => {
      const now = Date.now()
      const pairs = items.flatMap((item, i) => [item.productId, now + i])
      const added = await confirmed(redis.sfMergeWishlist(k(key), k(marker), options.maxItems, options.ttlMs, options.markerTtlMs, ...pairs)) as number
      return added < 0 ? null : added
    }),
    claim: (lock, token, ttlMs) => run(async () => (await client.set(k(lock), token, 'PX', ttlMs, 'NX')) === 'OK'),
    release: (lock, token) => run(async () => {
      await redis.sfRelease(k(lock), token)
    }),
    remove: keys => run(async () => {
      if (keys.length > 0) await confirmed(client.del(...keys.map(k)))
    }),
  }
}

function basketFromHash(hash: Record<string, string>): BasketLine[] {
  return basketFromFlat(Object.entries(hash).flat())
}

/**
 * Turns a basket hash (flat field/value list) into lines, oldest first.
 * @param flat HGETALL's reply
 * @returns the lines
 */
export function basketFromFlat(flat: string[]): BasketLine[] {
  const quantities = new Map<string, number>()
  const added = new Map<string, number>()
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i]!
    if (field.startsWith('q:')) quantities.set(field.slice(2), Number(flat[i + 1]))
    else if (field.startsWith('t:')) added.set(field.slice(2), Number(flat[i + 1]))
  }
  return [...quantities.entries()]
    .sort(([a], [b]) => (added.get(a) ?? 0) - (added.get(b) ?? 0) || Number(a) - Number(b))
    .map(([variant, quantity]) => ({ variantId: Number(variant), quantity }))
}

function wishlistFromFlat(flat: string[]): WishlistItem[] {
  const items: WishlistItem[] = []
  for (let i = 0; i < flat.length; i += 2) items.push({ productId: Number(flat[i]) })
  return items
}
