import type { BasketAdapter, CommerceAdapterContext, CommerceLimits, CommerceOwner, StorefrontCommerceAdapters, WishlistAdapter } from '../../types/commerce'
import { IDEMPOTENCY_WINDOW_MS } from '../rpc/idempotency'
import { commerceKeys, isIdempotencyKeyOf, mergeMarkerKey } from '../store/keys'
import type { CommerceStore } from '../store/commerce'

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
 * The `Idempotency-Key` record of the call, when it belongs to the same owner as the data written (its hash tag):
 * the write sets it in its own step, and a repeat finds it and applies nothing.
 * @param dataKey the basket or wishlist key
 * @param context the adapter context, with the request
 * @returns the record and its lifetime, or undefined
 */
function onceFor(dataKey: string, context: CommerceAdapterContext): { key: string, ttlMs: number } | undefined {
  const record = context.event?.context.storefront?.idempotency
  // Scoped to a session, a record never needs to outlive one.
  return record && isIdempotencyKeyOf(record, dataKey) ? { key: record, ttlMs: Math.min(IDEMPOTENCY_WINDOW_MS, context.limits.guestTtlMs) } : undefined
}

/**
 * The default adapters: baskets and wishlists kept in the session store, per shop, keyed by owner.
 * @param commerceFor the commerce store of a shop
 * @returns the adapters
 */
export function createDefaultAdapters(commerceFor: (shopId: string) => Promise<CommerceStore>): StorefrontCommerceAdapters {
  const marker = mergeMarkerKey

  const writeLine = async (owner: CommerceOwner, line: { variantId: number, quantity: number }, mode: 'add' | 'set', context: CommerceAdapterContext) => {
    const keys = commerceKeys(owner)
    const limits = context.limits
    return (await commerceFor(owner.shopId)).writeBasket(keys.basket, { ...line, mode }, { cap: limits.maxQuantityPerLine, maxLines: limits.maxBasketLines, ttlMs: commerceTtlMs(owner, limits), guard: keys.guard, once: onceFor(keys.basket, context) })
  }
  const writeItem = async (owner: CommerceOwner, productId: number, mode: 'add' | 'remove', context: CommerceAdapterContext) => {
    const keys = commerceKeys(owner)
    const limits = context.limits
    return (await commerceFor(owner.shopId)).writeWishlist(keys.wishlist, { productId, mode }, { maxItems: limits.maxWishlistItems, ttlMs: commerceTtlMs(owner, limits), guard: keys.guard, once: onceFor(keys.wishlist, context) })
  }

  const basket: BasketAdapter = {
    get: async owner => (await commerceFor(owner.shopId)).readBasket(commerceKeys(owner).basket),
    add: (owner, line, context) => writeLine(owner, line, 'add', context),
    setQuantity: (owner, line, context) => writeLine(owner, line, 'set', context),
    remove: (owner, variantId, context) => basket.setQuantity(owner, { variantId, quantity: 0 }, context),
    clear: async (owner) => {
      await (await commerceFor(owner.shopId)).remove([commerceKeys(owner).basket])
    },
    merge: async (guest, user, { limits }) => {
      const store = await commerceFor(user.shopId)
      const lines = await store.readBasket(commerceKeys(guest).basket)
      return store.mergeBasket(commerceKeys(user).basket, marker(user, 'b', guest), lines, {
        policy: limits.mergePolicy,
        cap: limits.maxQuantityPerLine,
        maxLines: limits.maxBasketLines,
        ttlMs: limits.dataTtlMs,
        markerTtlMs: limits.guestTtlMs,
      })
    },
  }

  const wishlist: WishlistAdapter = {
    get: async owner => (await commerceFor(owner.shopId)).readWishlist(commerceKeys(owner).wishlist),
    add: (owner, item, context) => writeItem(owner, item.productId, 'add', context),
    remove: (owner, productId, context) => writeItem(owner, productId, 'remove', context),
    clear: async (owner) => {
      await (await commerceFor(owner.shopId)).remove([commerceKeys(owner).wishlist])
    },
    merge: async (guest, user, { limits }) => {
      const store = await commerceFor(user.shopId)
      const items = await store.readWishlist(commerceKeys(guest).wishlist)
      return store.mergeWishlist(commerceKeys(user).wishlist, marker(user, 'w', guest), items, {
        maxItems: limits.maxWishlistItems,
        ttlMs: limits.dataTtlMs,
        markerTtlMs: limits.guestTtlMs,
      })
    },
  }
  return { basket, wishlist }
}
