import type { BasketLine, BasketMergePolicy, WishlistItem } from '../../../types/commerce'

/** For a guest owner: the session that must still exist and the login lock that must be absent for a write. */
export interface CommerceGuard {
  session: string
  lock: string
}

/** Limits of one basket write. */
export interface BasketWriteOptions {
  cap: number
  maxLines: number
  ttlMs: number
  guard?: CommerceGuard
  /**
   * A call's `Idempotency-Key` record (same owner): set to `value` (the call's payload fingerprint) in the same step;
   * when it exists the write is skipped.
   */
  once?: { key: string, ttlMs: number, value: string }
}

/** Limits of one wishlist write. */
export interface WishlistWriteOptions {
  maxItems: number
  ttlMs: number
  guard?: CommerceGuard
  /** See {@link BasketWriteOptions.once}. */
  once?: { key: string, ttlMs: number, value: string }
}

/** Counts of a basket merge. */
export interface BasketMergeCounts {
  linesAdded: number
  linesCombined: number
  linesCapped: number
  linesDropped: number
  unitsAdded: number
}

/** Options of a merge into a user's basket. */
export interface BasketMergeOptions {
  policy: BasketMergePolicy
  cap: number
  maxLines: number
  ttlMs: number
  /** How long the marker that makes the merge happen once lives. */
  markerTtlMs: number
}

/** Limits of a merge into a user's wishlist. */
export interface WishlistMergeOptions {
  maxItems: number
  ttlMs: number
  markerTtlMs: number
}

/** An owner's basket and wishlist, read together. */
export interface OwnerLists {
  basket: BasketLine[]
  wishlist: WishlistItem[]
}

/** A guest's basket and wishlist, read as a login claimed them. */
export type ClaimedGuest = OwnerLists

/** The user's keys a login merges a guest into, with the once-only marker of each list. */
export interface GuestMergeKeys {
  basket: string
  basketMarker: string
  wishlist: string
  wishlistMarker: string
}

/** What a login's merge did to each list: null for a list that brought nothing its marker had not taken in. */
export interface GuestMergeCounts {
  basket: BasketMergeCounts | null
  wishlist: number | null
}

/**
 * Baskets and wishlists in the session store. Every write is one atomic step: a script on Redis, a per-owner lock
 * elsewhere. Keys are owner-scoped (`<shop>:{g:<hash>}` or `<shop>:{u:<id>}`), so each step touches one slot.
 */
export interface CommerceStore {
  readBasket: (key: string) => Promise<BasketLine[]>
  /** `add` adds to the quantity, `set` replaces it (0 removes the line). */
  writeBasket: (key: string, change: { variantId: number, quantity: number, mode: 'add' | 'set' }, options: BasketWriteOptions) => Promise<BasketLine[]>
  readWishlist: (key: string) => Promise<WishlistItem[]>
  /**
   * Both lists of an owner in one read (`key` is its basket key). Stores whose lists share a record have it, so that a
   * page can read them together with the session; see `prefetchLists` in commerce/adapters.ts.
   */
  readLists?: (key: string) => Promise<OwnerLists>
  writeWishlist: (key: string, change: { productId: number, mode: 'add' | 'remove' }, options: WishlistWriteOptions) => Promise<WishlistItem[]>
  /**
   * Merges a guest's lines into a basket and records in the marker, in the same step, what it took in from that guest:
   * a later call with the same marker takes in only a line's quantity above it and lines not taken yet. Null: nothing
   * new (nothing written).
   */
  mergeBasket: (key: string, marker: string, lines: BasketLine[], options: BasketMergeOptions) => Promise<BasketMergeCounts | null>
  /** Merges items into a wishlist, those its marker has not taken in. Returns how many were new to it, or null: nothing new. */
  mergeWishlist: (key: string, marker: string, items: WishlistItem[], options: WishlistMergeOptions) => Promise<number | null>
  /**
   * A login's claim of a guest: takes the login lock unless it is held, then reads the guest's basket and wishlist,
   * which no guest write changes while the lock holds (one round trip; the keys share the guest's hash tag). Null:
   * another login holds the lock.
   */
  claimGuest: (lock: string, token: string, ttlMs: number, keys: { basket: string, wishlist: string }) => Promise<ClaimedGuest | null>
  /**
   * Merges a claimed guest's basket and wishlist into a user's in one step (one round trip; the keys share the
   * user's hash tag), each list under its marker, like {@link CommerceStore.mergeBasket} and
   * {@link CommerceStore.mergeWishlist} together.
   */
  mergeGuest: (keys: GuestMergeKeys, guest: ClaimedGuest, options: { basket: BasketMergeOptions, wishlist: WishlistMergeOptions }) => Promise<GuestMergeCounts>
  /** Takes a lock unless it is held. */
  claim: (lock: string, token: string, ttlMs: number) => Promise<boolean>
  /** Releases a lock if this token still holds it. */
  release: (lock: string, token: string) => Promise<void>
  /** Deletes keys of one owner. */
  remove: (keys: string[]) => Promise<void>
}

/** A guest write refused because the session is gone or is being logged in. Answered with a 409. */
export class CommerceConflictError extends Error {
  override name = 'CommerceConflictError'
}

/** A write whose Idempotency-Key record is of a call with other params. Answered with a 422. */
export class CommerceKeyReusedError extends Error {
  override name = 'CommerceKeyReusedError'
}

/** A write refused because the basket or wishlist is full. Answered with a 400. */
export class CommerceLimitError extends Error {
  override name = 'CommerceLimitError'
}
