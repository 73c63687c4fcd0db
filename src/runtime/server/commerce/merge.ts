import { randomUUID } from 'node:crypto'
import type { CommerceAdapterContext, CommerceOwner, MergeReport, StorefrontCommerceAdapters } from '../../types/commerce'
import { loginLockKey } from '../store/keys'
import type { CommerceStore } from '../store/commerce'

/** A report for a login that merged nothing. */
const EMPTY_MERGE: Readonly<MergeReport> = Object.freeze({
  merged: false,
  linesAdded: 0,
  linesCombined: 0,
  linesCapped: 0,
  linesDropped: 0,
  unitsAdded: 0,
  wishlistAdded: 0,
})

/** A merge that has been applied; the guest's data goes once the login is saved. */
export interface GuestMerge {
  report: MergeReport
  /** Deletes the guest's basket and wishlist. Runs alongside the save of the new session. */
  clearGuest: () => Promise<void>
}

/**
 * A merge that did nothing (no guest session, or another request is merging it).
 * @returns the merge
 */
export function noMerge(): GuestMerge {
  return { report: { ...EMPTY_MERGE }, clearGuest: async () => {} }
}

/**
 * Merges a guest's basket and wishlist into a user's, exactly once however often the login is retried or raced:
 * 1. a lock on the guest stops guest writes (they get a 409) and lets one login through;
 * 2. each adapter merges all or nothing and records a marker, so a retry after a crash merges nothing twice;
 * 3. the guest data is deleted only after the merge succeeded; a failed merge releases the lock and leaves it intact.
 * On success the lock goes with the guest's data, alongside the save that ends the guest session: a guest write
 * after that finds no session (409), and a second login finds the user's merge markers.
 * @param store the commerce store of the shop (for the lock)
 * @param adapters basket and wishlist adapters
 * @param guest the guest owner
 * @param user the user owner
 * @param context adapter context
 * @returns the applied merge
 */
export async function mergeGuestIntoUser(
  store: CommerceStore,
  adapters: StorefrontCommerceAdapters,
  guest: CommerceOwner & { kind: 'guest' },
  user: CommerceOwner & { kind: 'user' },
  context: CommerceAdapterContext,
): Promise<GuestMerge> {
  const lock = loginLockKey(guest)
  const token = randomUUID()
  // Long enough for a slow merge; the lock outlives the guest session only briefly.
  if (!await store.claim(lock, token, 30_000)) {
    return noMerge()
  }
  try {
    const [basket, wishlistAdded] = await Promise.all([
      adapters.basket.merge(guest, user, context),
      adapters.wishlist.merge(guest, user, context),
    ])
    const report: MergeReport = {
      ...EMPTY_MERGE,
      ...basket,
      wishlistAdded: wishlistAdded ?? 0,
      merged: basket !== null || wishlistAdded !== null,
    }
    return {
      report,
      clearGuest: async () => {
        await Promise.all([adapters.basket.clear(guest, context), adapters.wishlist.clear(guest, context), store.release(lock, token)])
      },
    }
  }
  catch (error) {
    // The merge applied nothing (each adapter merges all or nothing): give the guest its basket back.
    await store.release(lock, token).catch(() => {})
    throw error
  }
}
