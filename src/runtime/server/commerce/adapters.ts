import type { H3Event } from 'h3'
import type { BasketAdapter, CommerceAdapterContext, CommerceLimits, CommerceOwner, StorefrontCommerceAdapters, WishlistAdapter } from '../../types/commerce'
import { IDEMPOTENCY_WINDOW_MS } from '../rpc/idempotency'
import { commerceKeys, isIdempotencyKeyOf, loginLockKey, mergeMarkerKey } from '../store/keys'
import type { CommerceStore, GuestMergeCounts, OwnerLists } from '../store/commerce'
import { storefrontContext } from '../session/engine'

/**
 * How long an owner's basket and wishlist live after a write: a guest's as long as the guest session (its rolling
 * refresh extends them with it), a user's `commerce.dataTtl`.
 * @param owner the owner
 * @param limits the shop's limits
 * @returns ms
 */
export function commerceTtlMs(owner: CommerceOwner, limits: CommerceLimits): number {
  return owner.kind === 'guest' ? limits.guestTtlMs : limits.dataTtlMs
}

/**
 * How long a merge marker lives: until no guest session merged under it can log in again. Rolling refresh keeps a
 * guest session alive up to `absoluteMaxAge`; without that limit a guest session can outlive any marker, which then
 * lives `commerce.dataTtl` (never less than `maxAge`).
 * @param shop the shop's session lifetimes
 * @param shop.maxAgeMs `session.maxAge` in ms
 * @param shop.absoluteMaxAgeMs `session.absoluteMaxAge` in ms (0: no limit)
 * @param dataTtlMs `commerce.dataTtl` in ms
 * @returns ms
 */
export function mergeMarkerTtlMs(shop: { maxAgeMs: number, absoluteMaxAgeMs: number }, dataTtlMs: number): number {
  return Math.max(shop.maxAgeMs, shop.absoluteMaxAgeMs > 0 ? shop.absoluteMaxAgeMs : dataTtlMs)
}

/**
 * The `Idempotency-Key` record of the call, when it belongs to the same owner as the data written (its hash tag):
 * the write sets it in its own step, and a repeat finds it and applies nothing.
 * @param dataKey the basket or wishlist key
 * @param context the adapter context, with the request
 * @returns the record and its lifetime, or undefined
 */
function onceFor(dataKey: string, context: CommerceAdapterContext): { key: string, ttlMs: number, value: string } | undefined {
  const record = context.event?.context.storefront?.idempotency
  // Scoped to a session, a record never needs to outlive one.
  return record && isIdempotencyKeyOf(record.key, dataKey) ? { key: record.key, ttlMs: Math.min(IDEMPOTENCY_WINDOW_MS, context.limits.guestTtlMs), value: record.marker } : undefined
}

const markerTtl = (limits: CommerceLimits) => limits.mergeMarkerTtlMs ?? limits.guestTtlMs

type GuestOwner = CommerceOwner & { kind: 'guest' }
type UserOwner = CommerceOwner & { kind: 'user' }

// The default adapters' reads, which a page's lists read with its session stand for (see prefetchLists).
const defaultReads = new WeakSet<object>()

/**
 * Starts reading a session owner's basket and wishlist together, in the tick the page's session read is sent, so
 * that both go out in one round trip: the request's basket and wishlist reads then take them from there. Only when
 * both adapters in use read as the defaults do and the store reads both lists at once (Redis); any list write of the
 * request drops them, so a read after it reads again.
 * @param adapters the adapters in use, if resolved
 * @param store the shop's commerce store, if started
 * @param event the page request
 * @param owner the session's user, or the guest session
 */
export function prefetchLists(adapters: StorefrontCommerceAdapters | undefined, store: CommerceStore | undefined, event: H3Event, owner: CommerceOwner): void {
  if (!adapters || !store?.readLists || !defaultReads.has(adapters.basket.get) || !defaultReads.has(adapters.wishlist.get)) return
  const key = commerceKeys(owner).basket
  let read: Promise<OwnerLists>
  try {
    read = store.readLists(key)
  }
  catch {
    // Called from the session's load, which must not fail for it: the reads will go to the store themselves.
    return
  }
  // Its failure is the failure of the reads that take it, never an unhandled rejection.
  read.catch(() => {})
  storefrontContext(event).lists = { key, read }
}

const prefetched = (key: string, context: CommerceAdapterContext | undefined) => {
  const lists = context?.event?.context.storefront?.lists
  return lists?.key === key ? lists.read : undefined
}

const dropPrefetched = (context: CommerceAdapterContext | undefined) => {
  const storefront = context?.event?.context.storefront
  if (storefront?.lists) storefront.lists = undefined
}

/** A login's merge through the store, in two steps of one round trip each; see {@link storeMergeOf}. */
export interface StoreMerge {
  /** Takes the guest's login lock and reads its basket and wishlist. Null: another login holds the lock. */
  claim: (guest: GuestOwner, token: string, ttlMs: number) => Promise<{ merge: (user: UserOwner, context: CommerceAdapterContext) => Promise<GuestMergeCounts> } | null>
}

// The default adapters' merges, by the basket's, with the store merge that stands for both.
const storeMerges = new WeakMap<BasketAdapter['merge'], { wishlist: WishlistAdapter['merge'], merge: StoreMerge }>()

/**
 * The store merge of a login, when both adapters in use merge as the defaults do (a `storefront:commerce` hook that
 * wraps `add`, say, keeps the default `merge`): the guest's lists are claimed and read in one step and merged into the
 * user's in another, instead of a claim, two reads and two merges.
 * @param adapters the adapters in use
 * @returns the store merge, or undefined for adapters of the app's own
 */
export function storeMergeOf(adapters: StorefrontCommerceAdapters): StoreMerge | undefined {
  const entry = storeMerges.get(adapters.basket.merge)
  return entry && entry.wishlist === adapters.wishlist.merge ? entry.merge : undefined
}

/**
 * The default adapters: baskets and wishlists kept in the session store, per shop, keyed by owner.
 * @param commerceFor the commerce store of a shop
 * @returns the adapters
 */
export function createDefaultAdapters(commerceFor: (shopId: string) => Promise<CommerceStore>): StorefrontCommerceAdapters {
  const marker = mergeMarkerKey

  const writeLine = async (owner: CommerceOwner, line: { variantId: number, quantity: number }, mode: 'add' | 'set', context: CommerceAdapterContext) => {
    dropPrefetched(context)
    const keys = commerceKeys(owner)
    const limits = context.limits
    return (await commerceFor(owner.shopId)).writeBasket(keys.basket, { ...line, mode }, { cap: limits.maxQuantityPerLine, maxLines: limits.maxBasketLines, ttlMs: commerceTtlMs(owner, limits), guard: keys.guard, once: onceFor(keys.basket, context) })
  }
  const writeItem = async (owner: CommerceOwner, productId: number, mode: 'add' | 'remove', context: CommerceAdapterContext) => {
    dropPrefetched(context)
    const keys = commerceKeys(owner)
    const limits = context.limits
    return (await commerceFor(owner.shopId)).writeWishlist(keys.wishlist, { productId, mode }, { maxItems: limits.maxWishlistItems, ttlMs: commerceTtlMs(owner, limits), guard: keys.guard, once: onceFor(keys.wishlist, context) })
  }

  const basket: BasketAdapter = {
    get: async (owner, context) => {
      const key = commerceKeys(owner).basket
      const lists = prefetched(key, context)
      return lists ? (await lists).basket : (await commerceFor(owner.shopId)).readBasket(key)
    },
    add: (owner, line, context) => writeLine(owner, line, 'add', context),
    setQuantity: (owner, line, context) => writeLine(owner, line, 'set', context),
    remove: (owner, variantId, context) => basket.setQuantity(owner, { variantId, quantity: 0 }, context),
    clear: async (owner, context) => {
      dropPrefetched(context)
      await (await commerceFor(owner.shopId)).remove([commerceKeys(owner).basket])
    },
    merge: async (guest, user, context) => {
      dropPrefetched(context)
      const limits = context.limits
      const store = await commerceFor(user.shopId)
      const lines = await store.readBasket(commerceKeys(guest).basket)
      return store.mergeBasket(commerceKeys(user).basket, marker(user, 'b', guest), lines, {
        policy: limits.mergePolicy,
        cap: limits.maxQuantityPerLine,
        maxLines: limits.maxBasketLines,
        ttlMs: limits.dataTtlMs,
        markerTtlMs: markerTtl(limits),
      })
    },
  }

  const wishlist: WishlistAdapter = {
    get: async (owner, context) => {
      const keys = commerceKeys(owner)
      const lists = prefetched(keys.basket, context)
      return lists ? (await lists).wishlist : (await commerceFor(owner.shopId)).readWishlist(keys.wishlist)
    },
    add: (owner, item, context) => writeItem(owner, item.productId, 'add', context),
    remove: (owner, productId, context) => writeItem(owner, productId, 'remove', context),
    clear: async (owner, context) => {
      dropPrefetched(context)
      await (await commerceFor(owner.shopId)).remove([commerceKeys(owner).wishlist])
    },
    merge: async (guest, user, context) => {
      dropPrefetched(context)
      const limits = context.limits
      const store = await commerceFor(user.shopId)
      const items = await store.readWishlist(commerceKeys(guest).wishlist)
      return store.mergeWishlist(commerceKeys(user).wishlist, marker(user, 'w', guest), items, {
        maxItems: limits.maxWishlistItems,
        ttlMs: limits.dataTtlMs,
        markerTtlMs: markerTtl(limits),
      })
    },
  }
  const merge: StoreMerge = {
    claim: async (guest, token, ttlMs) => {
      const store = await commerceFor(guest.shopId)
      const guestKeys = commerceKeys(guest)
      const claimed = await store.claimGuest(loginLockKey(guest), token, ttlMs, guestKeys)
      if (!claimed) return null
      return {
        merge: async (user, context) => {
          dropPrefetched(context)
          const limits = context.limits
          const userKeys = commerceKeys(user)
          const keys = { basket: userKeys.basket, basketMarker: marker(user, 'b', guest), wishlist: userKeys.wishlist, wishlistMarker: marker(user, 'w', guest) }
          return store.mergeGuest(keys, claimed, {
            basket: { policy: limits.mergePolicy, cap: limits.maxQuantityPerLine, maxLines: limits.maxBasketLines, ttlMs: limits.dataTtlMs, markerTtlMs: markerTtl(limits) },
            wishlist: { maxItems: limits.maxWishlistItems, ttlMs: limits.dataTtlMs, markerTtlMs: markerTtl(limits) },
          })
        },
      }
    },
  }
  storeMerges.set(basket.merge, { wishlist: wishlist.merge, merge })
  defaultReads.add(basket.get)
  defaultReads.add(wishlist.get)
  return { basket, wishlist }
}
