import type { BasketLine, WishlistItem } from '../../../types/commerce'
import type { RedisClient } from '../redis-client'
import { defineScripts, readerOf, whenReady } from '../redis-client'
import { durableWrites } from '../redis-durable'
import { SCRIPTS } from './redis-scripts'
import type { BasketMergeCounts, CommerceGuard, CommerceStore } from './types'
import { CommerceConflictError, CommerceLimitError } from './types'

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
      return mergeCounts(await confirmed(redis.sfMergeBasket(k(key), k(marker), options.policy, options.cap, options.maxLines, options.ttlMs, options.markerTtlMs, Date.now(), ...pairs)) as number | number[])
    }),
    mergeWishlist: (key, marker, items, options) => run(async () => {
      const now = Date.now()
      const pairs = items.flatMap((item, i) => [item.productId, now + i])
      const added = await confirmed(redis.sfMergeWishlist(k(key), k(marker), options.maxItems, options.ttlMs, options.markerTtlMs, ...pairs)) as number
      return added < 0 ? null : added
    }),
    // One pipeline of three plain commands on one connection, in order: three commands cost Redis less than starting
    // Lua, and need nothing beyond the documented ACL line (no MULTI). The reads run after the claim, and every guest
    // write is a script that checks the lock first, so once the claim holds no write changes what they read.
    claimGuest: (lock, token, ttlMs, keys) => run(async () => {
      const replies = await client.pipeline().set(k(lock), token, 'PX', ttlMs, 'NX').hgetall(k(keys.basket)).zrange(k(keys.wishlist), 0, -1).exec()
      const [claimed, basket, wishlist] = (replies ?? []).map(([error, reply]) => {
        if (error) throw error
        return reply
      }) as [string | null, Record<string, string>, string[]]
      return claimed === 'OK' ? { basket: basketFromHash(basket), wishlist: wishlist.map(member => ({ productId: Number(member) })) } : null
    }),
    mergeGuest: (keys, guest, { basket, wishlist }) => run(async () => {
      const now = Date.now()
      const [wishlistAdded, ...counts] = await confirmed(redis.sfMergeGuest(
        k(keys.basket), k(keys.basketMarker), k(keys.wishlist), k(keys.wishlistMarker),
        basket.policy, basket.cap, basket.maxLines, basket.ttlMs, basket.markerTtlMs, now, wishlist.maxItems, guest.basket.length,
        ...guest.basket.flatMap(line => [line.variantId, line.quantity]),
        ...guest.wishlist.flatMap((item, i) => [item.productId, now + i]),
      )) as number[]
      return { basket: mergeCounts(counts.length === 1 ? counts[0]! : counts), wishlist: wishlistAdded! < 0 ? null : wishlistAdded! }
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

/**
 * A basket merge's reply: its counts, or null when its marker said it was merged already.
 * @param reply the script's counts, or -1
 * @returns the counts or null
 */
function mergeCounts(reply: number | number[]): BasketMergeCounts | null {
  if (!Array.isArray(reply)) return null
  const [linesAdded, linesCombined, linesCapped, linesDropped, unitsAdded] = reply as [number, number, number, number, number]
  return { linesAdded, linesCombined, linesCapped, linesDropped, unitsAdded }
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
