import type { BasketLine, WishlistItem } from '../../../types/commerce'
import { commerceRecordOf, markerGuestHash } from '../keys'
import type { RedisClient } from '../redis-client'
import { defineScripts, readerOf, whenReady } from '../redis-client'
import { durableWrites } from '../redis-durable'
import { SCRIPTS } from './redis-scripts'
import type { BasketMergeCounts, CommerceGuard, CommerceStore } from './types'
import { CommerceConflictError, CommerceKeyReusedError, CommerceLimitError } from './types'

type OnceRecord = { key: string, ttlMs: number, value: string }
type Lists = [basket: string, wishlist: string]

/**
 * The Redis commerce store: an owner's basket and wishlist are two fields of one record (redis-scripts.ts), every
 * write one script whose reply carries the new list, so a write is one round trip.
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
  const reader = defineScripts(readerOf(client), SCRIPTS)
  const k = (key: string) => prefix + key
  const recordKeys = (key: string) => {
    const { record, guest, earlier } = commerceRecordOf(key)
    return { guest, keys: [k(record), k(earlier[0]), k(earlier[1])] }
  }
  const confirm = durableWrites(client, Number(options.waitForReplicas ?? 0), Math.max(1, Math.floor((options.timeoutMs ?? 0) / 4) || 500))
  const confirmed = async <T>(write: Promise<T>): Promise<T> => {
    const result = await write
    await confirm?.()
    return result
  }

  // One write to one list; a guest's adds its login lock, and an Idempotency-Key record comes last.
  const writeList = (key: string, list: 'b' | 'w', guard: CommerceGuard | undefined, once: OnceRecord | undefined, ttlMs: number, change: [id: number, mode: string, quantity: number, cap: number, max: number]) => {
    const { keys } = recordKeys(key)
    if (guard) keys.push(k(guard.lock))
    if (once) keys.push(k(once.key))
    const script = keys.length === 3 ? 'sfWriteList' : keys.length === 4 ? 'sfWriteList4' : 'sfWriteList5'
    return confirmed(redis[script](...keys, list, guard ? '1' : '', once ? once.ttlMs : '', ttlMs, Date.now(), ...change, once?.value ?? '')) as Promise<string>
  }

  // A basket and a wishlist read in the same tick (a page shows both) share one script call. Only reads that began
  // before it was sent share it, so each still sees every write that ended before it began.
  const reads = new Map<string, Promise<Lists>>()
  const readLists = (key: string): Promise<Lists> => {
    const { keys } = recordKeys(key)
    let read = reads.get(keys[0]!)
    if (!read) {
      read = run(async () => await reader.sfReadLists(...keys) as Lists, reader)
      reads.set(keys[0]!, read)
      process.nextTick(() => reads.delete(keys[0]!))
    }
    return read
  }

  // A merge of one guest session's lists into a user's record: `g` both, `b` or `w` one of them.
  const mergeLists = async (what: 'g' | 'b' | 'w', key: string, markers: [basket: string, wishlist: string], lines: BasketLine[], items: WishlistItem[], limits: { policy?: string, cap?: number, maxLines?: number, maxItems?: number, ttlMs: number, markerTtlMs: number }) => {
    const { keys } = recordKeys(key)
    const reply = await confirmed(redis.sfMergeLists(
      ...keys, k(markers[0]), k(markers[1]),
      what, markerGuestHash(markers[0]), limits.policy ?? 'sum', limits.cap ?? 0, limits.maxLines ?? 0, limits.maxItems ?? 0, limits.ttlMs, limits.markerTtlMs, Date.now(), lines.length, markerGuestHash(markers[1]),
      ...lines.flatMap(line => [line.variantId, line.quantity]),
      ...items.map(item => item.productId),
    )) as number[]
    const [wishlistAdded, ...counts] = reply
    return { basket: mergeCounts(counts), wishlist: wishlistAdded! < 0 ? null : wishlistAdded! }
  }

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
      if (message.includes('SF_KEY_REUSED')) throw new CommerceKeyReusedError('the Idempotency-Key was used for a call with other params')
      throw error
    }
  }

  return {
    readBasket: async key => basketOf((await readLists(key))[0]),
    writeBasket: (key, change, options) => run(async () => basketOf(await writeList(
      key, 'b', options.guard, options.once, options.ttlMs, [change.variantId, change.mode, change.quantity, options.cap, options.maxLines],
    ))),
    readWishlist: async key => wishlistOf((await readLists(key))[1]),
    readLists: async (key) => {
      const [basket, wishlist] = await readLists(key)
      return { basket: basketOf(basket), wishlist: wishlistOf(wishlist) }
    },
    writeWishlist: (key, change, options) => run(async () => wishlistOf(await writeList(
      key, 'w', options.guard, options.once, options.ttlMs, [change.productId, change.mode, 0, 0, options.maxItems],
    ))),
    mergeBasket: (key, marker, lines, options) => run(async () =>
      (await mergeLists('b', key, [marker, marker], lines, [], options)).basket),
    mergeWishlist: (key, marker, items, options) => run(async () =>
      (await mergeLists('w', key, [marker, marker], [], items, options)).wishlist),
    // One pipeline on one connection, in order: the lock, then both lists, which no guest write changes while the
    // lock holds (every guest write checks it first).
    claimGuest: (lock, token, ttlMs, keys) => run(async () => {
      const pipeline = client.pipeline().set(k(lock), token, 'PX', ttlMs, 'NX') as unknown as Record<'sfReadLists', (...args: string[]) => { exec: () => Promise<[Error | null, unknown][] | null> }>
      const replies = await pipeline.sfReadLists(...recordKeys(keys.basket).keys).exec()
      const [claimed, lists] = (replies ?? []).map(([error, reply]) => {
        if (error) throw error
        return reply
      }) as [string | null, Lists]
      return claimed === 'OK' ? { basket: basketOf(lists[0]), wishlist: wishlistOf(lists[1]) } : null
    }),
    mergeGuest: (keys, guest, { basket, wishlist }) => run(() =>
      mergeLists('g', keys.basket, [keys.basketMarker, keys.wishlistMarker], guest.basket, guest.wishlist, { ...basket, maxItems: wishlist.maxItems })),
    claim: (lock, token, ttlMs) => run(async () => (await client.set(k(lock), token, 'PX', ttlMs, 'NX')) === 'OK'),
    release: (lock, token) => run(async () => {
      await redis.sfRelease(k(lock), token)
    }),
    // A basket or wishlist key empties that list in its owner's record; any other key is deleted.
    remove: keys => run(async () => {
      const lists = keys.filter(key => key.endsWith(':b') || key.endsWith(':w'))
      const others = keys.filter(key => !lists.includes(key))
      await confirmed(Promise.all([
        ...lists.map((key) => {
          const { guest, keys: record } = recordKeys(key)
          return redis.sfClearList(...record, key.endsWith(':b') ? 'b' : 'w', guest ? '1' : '')
        }),
        ...(others.length > 0 ? [client.del(...others.map(k))] : []),
      ]))
    }),
  }
}

/**
 * A basket merge's counts, or null when its marker said it was merged already.
 * @param reply the script's counts, or [-1]
 * @returns the counts or null
 */
function mergeCounts(reply: number[]): BasketMergeCounts | null {
  if (reply.length < 5) return null
  const [linesAdded, linesCombined, linesCapped, linesDropped, unitsAdded] = reply as [number, number, number, number, number]
  return { linesAdded, linesCombined, linesCapped, linesDropped, unitsAdded }
}

/**
 * A basket's lines from its stored value (`<variant>:<quantity>` joined by commas, oldest first).
 * @param value the `b` field
 * @returns the lines
 */
function basketOf(value: string): BasketLine[] {
  if (!value) return []
  return value.split(',').map((line) => {
    const colon = line.indexOf(':')
    return { variantId: Number(line.slice(0, colon)), quantity: Number(line.slice(colon + 1)) }
  })
}

function wishlistOf(value: string): WishlistItem[] {
  return value ? value.split(',').map(id => ({ productId: Number(id) })) : []
}
