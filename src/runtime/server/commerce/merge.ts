import { randomUUID } from 'node:crypto'
import type { CommerceAdapterContext, CommerceOwner, MergeReport, StorefrontCommerceAdapters } from '../../types/commerce'
import { loginLockKey } from '../store/keys'
import type { CommerceStore } from '../store/commerce'
import { CommerceConflictError } from '../store/commerce'
import { storeMergeOf } from './adapters'

/** How long a login holds a guest: long enough for a slow merge; it outlives the guest session only briefly. */
const LOCK_TTL_MS = 30_000

// A login that waits for another login of the same guest tries the lock again after 20 ms, then twice as long each
// time up to 200 ms: each try is a store round trip (on Redis the lock and a read of the guest's lists).
const CLAIM_RETRY_MS = 20
const CLAIM_RETRY_MAX_MS = 200

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
 * A merge that did nothing (no guest session).
 * @returns the merge
 */
export function noMerge(): GuestMerge {
  return { report: { ...EMPTY_MERGE }, clearGuest: async () => {} }
}

/**
 * Merges a guest's basket and wishlist into a user's, exactly once however often the login is retried or raced:
 * 1. a lock on the guest stops guest writes (they get a 409) and lets one login through; another login of the same
 *    guest waits for it (up to `waitMs`) and then merges what is left, or is refused with a 409, so that it never
 *    ends a guest session whose merge the lock holder may yet give back;
 * 2. each adapter merges all or nothing and records in a marker what it took in from this guest, so a retry after a
 *    crash merges nothing twice, and a login after one that failed once its merge was in takes in only what the
 *    guest added since;
 *    with the default adapters, the claim reads the guest's lists in its step and one step merges both into the
 *    user's, each under its marker (two round trips instead of four);
 * 3. the guest data is deleted only after the merge succeeded; a failed merge releases the lock and leaves it intact.
 * On success the lock goes with the guest's data, alongside the save that ends the guest session: a guest write
 * after that finds no session (409), and a second login finds the user's merge markers.
 * @param store the commerce store of the shop (for the lock)
 * @param adapters basket and wishlist adapters
 * @param guest the guest owner
 * @param user the user owner
 * @param context adapter context
 * @param options how long to wait for another login that holds the guest
 * @param options.waitMs ms; 0 refuses at once
 * @returns the applied merge
 * @throws CommerceConflictError when another login still holds the guest after `waitMs`
 */
export async function mergeGuestIntoUser(
  store: CommerceStore,
  adapters: StorefrontCommerceAdapters,
  guest: CommerceOwner & { kind: 'guest' },
  user: CommerceOwner & { kind: 'user' },
  context: CommerceAdapterContext,
  options: { waitMs?: number } = {},
): Promise<GuestMerge> {
  const lock = loginLockKey(guest)
  const token = randomUUID()
  const storeMerge = storeMergeOf(adapters)
  const claim = async () => storeMerge ? await storeMerge.claim(guest, token, LOCK_TTL_MS) : await store.claim(lock, token, LOCK_TTL_MS)
  const deadline = Date.now() + (options.waitMs ?? 0)
  let claimed = await claim()
  // The holder either ends the guest (its data merged, the markers say so) or gives it back; either way what this
  // login then claims is what is left to merge.
  for (let delay = CLAIM_RETRY_MS; !claimed; delay = Math.min(2 * delay, CLAIM_RETRY_MAX_MS)) {
    if (Date.now() >= deadline) throw new CommerceConflictError('another login of this guest session is under way; try again')
    await new Promise(resolve => setTimeout(resolve, Math.min(delay, Math.max(1, deadline - Date.now()))))
    claimed = await claim()
  }
  try {
    const [basket, wishlistAdded] = claimed !== true
      ? await claimed.merge(user, context).then(counts => [counts.basket, counts.wishlist] as const)
      : await Promise.all([adapters.basket.merge(guest, user, context), adapters.wishlist.merge(guest, user, context)])
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
