import type { H3Event } from 'h3'

/** One basket line. */
export interface BasketLine {
  variantId: number
  quantity: number
}

/** One wishlist entry. */
export interface WishlistItem {
  productId: number
}

/** How a guest's basket line meets the user's line for the same variant at login. */
export type BasketMergePolicy = 'sum' | 'max' | 'keep-user'

/** Whose basket or wishlist: a guest session (by the hash of its id) or a user. */
export type CommerceOwner
  = | { kind: 'guest', shopId: string, sessionHash: string }
    | { kind: 'user', shopId: string, userId: string }

/** What a login merge did. */
export interface MergeReport {
  /** False when there was nothing to merge or another request already merged this guest session. */
  merged: boolean
  /** Lines that were new to the user's basket. */
  linesAdded: number
  /** Lines whose quantities were combined under the policy. */
  linesCombined: number
  /** Lines cut to `maxQuantityPerLine`. */
  linesCapped: number
  /** Guest lines dropped because the user's basket was full. */
  linesDropped: number
  /** Units that came over from the guest basket. */
  unitsAdded: number
  /** Wishlist entries new to the user's wishlist. */
  wishlistAdded: number
}

/** Limits and policy the adapters apply. */
export interface CommerceLimits {
  maxQuantityPerLine: number
  maxBasketLines: number
  maxWishlistItems: number
  mergePolicy: BasketMergePolicy
  /** Lifetime in ms of basket and wishlist data, renewed on every write. */
  dataTtlMs: number
  /** Lifetime in ms of the guest session (and of its basket and wishlist) from its last refresh. */
  guestTtlMs: number
  /**
   * How long in ms a merge marker lives: as long as a guest session that rolling refresh keeps alive can still log
   * in. Defaults to `guestTtlMs`.
   */
  mergeMarkerTtlMs?: number
}

/** What an adapter gets with every call. */
export interface CommerceAdapterContext {
  event?: H3Event
  limits: CommerceLimits
}

/**
 * A basket backend. The default one keeps baskets in the session store; a commerce API can plug in its own through
 * the `storefront:commerce` hook. `add` must be atomic per line (concurrent adds of one variant sum), and `merge`
 * must apply all or nothing.
 */
export interface BasketAdapter {
  get: (owner: CommerceOwner, context: CommerceAdapterContext) => Promise<BasketLine[]>
  /** Adds `quantity` to the line (capped); refuses a new line past `maxBasketLines` with a 400. */
  add: (owner: CommerceOwner, line: BasketLine, context: CommerceAdapterContext) => Promise<BasketLine[]>
  /** Sets a line's quantity; 0 removes it. */
  setQuantity: (owner: CommerceOwner, line: BasketLine, context: CommerceAdapterContext) => Promise<BasketLine[]>
  remove: (owner: CommerceOwner, variantId: number, context: CommerceAdapterContext) => Promise<BasketLine[]>
  /** Deletes a whole basket. */
  clear: (owner: CommerceOwner, context: CommerceAdapterContext) => Promise<void>
  /**
   * Merges a guest's basket into a user's under `limits.mergePolicy`, all or nothing, and each unit at most once per
   * guest: a second call for the same guest takes in only what the guest added since (null when nothing). The guest
   * basket is left as it is; the caller clears it.
   */
  merge: (guest: CommerceOwner & { kind: 'guest' }, user: CommerceOwner & { kind: 'user' }, context: CommerceAdapterContext) => Promise<Omit<MergeReport, 'merged' | 'wishlistAdded'> | null>
}

/** A wishlist backend; `add` is idempotent. */
export interface WishlistAdapter {
  get: (owner: CommerceOwner, context: CommerceAdapterContext) => Promise<WishlistItem[]>
  add: (owner: CommerceOwner, item: WishlistItem, context: CommerceAdapterContext) => Promise<WishlistItem[]>
  remove: (owner: CommerceOwner, productId: number, context: CommerceAdapterContext) => Promise<WishlistItem[]>
  clear: (owner: CommerceOwner, context: CommerceAdapterContext) => Promise<void>
  /** Adds a guest's items to a user's wishlist, each at most once per guest (null when none is new). Returns how many were new to it. */
  merge: (guest: CommerceOwner & { kind: 'guest' }, user: CommerceOwner & { kind: 'user' }, context: CommerceAdapterContext) => Promise<number | null>
}

/** The adapters in use; replace them in the `storefront:commerce` server hook. */
export interface StorefrontCommerceAdapters {
  basket: BasketAdapter
  wishlist: WishlistAdapter
}
