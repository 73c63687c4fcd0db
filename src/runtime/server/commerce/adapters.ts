import type { BasketAdapter, CommerceLimits, CommerceOwner, StorefrontCommerceAdapters, WishlistAdapter } from '../../types/commerce'
import { ownerKey } from '../session/keys'
import type { CommerceGuard, CommerceStore } from './store'

/**
 * Keys of an owner's commerce data: `<owner>:b` basket, `<owner>:w` wishlist; for a guest also the session and the
 * login lock that guard writes. Everything of one owner shares the owner's hash tag.
 * @param owner the owner
 * @returns its keys
 */
export function commerceKeys(owner: CommerceOwner): { basket: string, wishlist: string, guard?: CommerceGuard } {
  const prefix = owner.kind === 'guest'
    ? ownerKey(owner.shopId, { kind: 'guest', hash: owner.sessionHash })
    : ownerKey(owner.shopId, { kind: 'user', userId: owner.userId })
  return {
    basket: `${prefix}:b`,
    wishlist: `${prefix}:w`,
    guard: owner.kind === 'guest' ? { session: `${prefix}:s`, lock: loginLockKey(owner) } : undefined,
  }
}

/**
 * The lock a login holds on a guest while it merges: guest writes are refused while it exists.
 * @param guest the guest owner
 * @returns its key
 */
export function loginLockKey(guest: CommerceOwner & { kind: 'guest' }): string {
  return `${ownerKey(guest.shopId, { kind: 'guest', hash: guest.sessionHash })}:l`
}

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
 * The default adapters: baskets and wishlists kept in the session store, per shop, keyed by owner.
 * @param commerceFor the commerce store of a shop
 * @returns the adapters
 */
export function createDefaultAdapters(commerceFor: (shopId: string) => Promise<CommerceStore>): StorefrontCommerceAdapters {
  const marker = (user: CommerceOwner & { kind: 'user' }, kind: 'b' | 'w', guest: CommerceOwner & { kind: 'guest' }) =>
    `${ownerKey(user.shopId, { kind: 'user', userId: user.userId })}:m${kind}:${guest.sessionHash}`

  const writeLine = async (owner: CommerceOwner, line: { variantId: number, quantity: number }, mode: 'add' | 'set', limits: CommerceLimits) => {
    const keys = commerceKeys(owner)
    return (await commerceFor(owner.shopId)).writeBasket(keys.basket, { ...line, mode }, { cap: limits.maxQuantityPerLine, maxLines: limits.maxBasketLines, ttlMs: commerceTtlMs(owner, limits), guard: keys.guard })
  }
  const writeItem = async (owner: CommerceOwner, productId: number, mode: 'add' | 'remove', limits: CommerceLimits) => {
    const keys = commerceKeys(owner)
    return (await commerceFor(owner.shopId)).writeWishlist(keys.wishlist, { productId, mode }, { maxItems: limits.maxWishlistItems, ttlMs: commerceTtlMs(owner, limits), guard: keys.guard })
  }

  const basket: BasketAdapter = {
    get: async owner => (await commerceFor(owner.shopId)).readBasket(commerceKeys(owner).basket),
    add: (owner, line, { limits }) => writeLine(owner, line, 'add', limits),
    setQuantity: (owner, line, { limits }) => writeLine(owner, line, 'set', limits),
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
    add: (owner, item, { limits }) => writeItem(owner, item.productId, 'add', limits),
    remove: (owner, productId, { limits }) => writeItem(owner, productId, 'remove', limits),
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
