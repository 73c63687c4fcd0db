import { createStorage } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { createDefaultAdapters, storeMergeOf } from '../../src/runtime/server/commerce/adapters'
import { mergeGuestIntoUser } from '../../src/runtime/server/commerce/merge'
import { createGuestId, hashSessionId, parseSessionId } from '../../src/runtime/server/session/id'
import { commerceKeys, createCommerceStore, createSessionStore, loginLockKey, sessionKeys, storefrontMemoryDriver } from '../../src/runtime/server/store'
import type { CommerceAdapterContext, CommerceOwner, StorefrontCommerceAdapters } from '../../src/runtime/types/commerce'

// The login's merge (mergeGuestIntoUser) on the embedded store, through the store's two-step merge that the default
// adapters allow, and through an app's own adapters (the adapters' merges), with the same outcome.

const SHOP = '1001'
const HOUR = 3_600_000
const context: CommerceAdapterContext = {
  limits: { maxQuantityPerLine: 5, maxBasketLines: 3, maxWishlistItems: 3, mergePolicy: 'sum', dataTtlMs: HOUR, guestTtlMs: HOUR },
}

function setup() {
  const driver = storefrontMemoryDriver({ sweepIntervalMs: 0 })
  const storage = createStorage({ driver })
  const store = createCommerceStore(storage, driver)
  const sessions = createSessionStore(storage, driver, { nativeTtl: true, sweepIntervalMs: 0 })
  const adapters = createDefaultAdapters(async () => store)
  /** A guest with a live session, the lines 1×2, 2×4, 3×1 and products 1, 2, 3. */
  async function guestWithData(): Promise<CommerceOwner & { kind: 'guest' }> {
    const id = createGuestId()
    const now = Date.now()
    await sessions.create(sessionKeys(SHOP, parseSessionId(id)!), { m: JSON.stringify({ c: now, s: now, e: now + HOUR, ua: '' }) }, { ttlMs: HOUR, expiresAt: now + HOUR })
    const guest = { kind: 'guest', shopId: SHOP, sessionHash: hashSessionId(id) } as const
    for (const [variantId, quantity] of [[1, 2], [2, 4], [3, 1]] as const) await adapters.basket.add(guest, { variantId, quantity }, context)
    for (const productId of [1, 2, 3]) await adapters.wishlist.add(guest, { productId }, context)
    return guest
  }
  /** A user with the line 2×3 and product 2. */
  async function userWithData(): Promise<CommerceOwner & { kind: 'user' }> {
    const user = { kind: 'user', shopId: SHOP, userId: `u-${Math.random().toString(36).slice(2)}` } as const
    await adapters.basket.add(user, { variantId: 2, quantity: 3 }, context)
    await adapters.wishlist.add(user, { productId: 2 }, context)
    return user
  }
  return { store, adapters, guestWithData, userWithData, dispose: () => storage.dispose() }
}

const MERGED = { merged: true, linesAdded: 2, linesCombined: 1, linesCapped: 1, linesDropped: 0, unitsAdded: 2 + 2 + 1, wishlistAdded: 2 }
const NO_MERGE = { merged: false, linesAdded: 0, linesCombined: 0, linesCapped: 0, linesDropped: 0, unitsAdded: 0, wishlistAdded: 0 }

describe('the login merge', () => {
  it('takes the store\'s merge for the default merges, also when a hook wrapped the other methods, and not for an app\'s own', () => {
    const { adapters } = setup()
    expect(storeMergeOf(adapters)).toBeDefined()
    expect(storeMergeOf({ basket: { ...adapters.basket, add: adapters.basket.add }, wishlist: { ...adapters.wishlist } })).toBe(storeMergeOf(adapters))
    expect(storeMergeOf({ ...adapters, basket: { ...adapters.basket, merge: async (...args) => adapters.basket.merge(...args) } })).toBeUndefined()
    expect(storeMergeOf({ ...adapters, wishlist: { ...adapters.wishlist, merge: async (...args) => adapters.wishlist.merge(...args) } })).toBeUndefined()
    expect(storeMergeOf(createDefaultAdapters(async () => setup().store))).not.toBe(storeMergeOf(adapters))
  })

  const ownMerges = (adapters: StorefrontCommerceAdapters): StorefrontCommerceAdapters => ({
    basket: { ...adapters.basket, merge: async (...args) => adapters.basket.merge(...args) },
    wishlist: { ...adapters.wishlist, merge: async (...args) => adapters.wishlist.merge(...args) },
  })

  it.each([
    { through: 'the store', adapt: (adapters: StorefrontCommerceAdapters) => adapters },
    { through: 'the adapters', adapt: ownMerges },
  ])('merges once through $through: a second login finds the lock, a retry after the cleanup the markers', async ({ adapt }) => {
    const { store, adapters: defaults, guestWithData, userWithData, dispose } = setup()
    const adapters = adapt(defaults)
    const [guest, user] = [await guestWithData(), await userWithData()]

    const first = await mergeGuestIntoUser(store, adapters, guest, user, context)
    expect(first.report).toEqual(MERGED)
    expect(await defaults.basket.get(user, context)).toEqual([{ variantId: 2, quantity: 5 }, { variantId: 1, quantity: 2 }, { variantId: 3, quantity: 1 }])
    expect(await defaults.wishlist.get(user, context)).toEqual([{ productId: 2 }, { productId: 1 }, { productId: 3 }])
    // Until the cleanup, the guest is locked: another login merges nothing and guest writes are refused.
    expect((await mergeGuestIntoUser(store, adapters, guest, user, context)).report).toEqual(NO_MERGE)
    await expect(defaults.basket.add(guest, { variantId: 1, quantity: 1 }, context)).rejects.toThrow(/merged into a login/)

    await first.clearGuest()
    expect(await store.readBasket(commerceKeys(guest).basket)).toEqual([])
    expect(await store.claim(loginLockKey(guest), 'free', 1000)).toBe(true)
    await store.release(loginLockKey(guest), 'free')
    // A retry of the login with the same guest (its lock gone with its data) finds the markers.
    expect((await mergeGuestIntoUser(store, adapters, guest, user, context)).report).toEqual(NO_MERGE)
    expect(await defaults.basket.get(user, context)).toEqual([{ variantId: 2, quantity: 5 }, { variantId: 1, quantity: 2 }, { variantId: 3, quantity: 1 }])
    await dispose()
  })

  it('gives the guest its lists back when the merge fails, and merges them at the next login', async () => {
    const { store, adapters, guestWithData, userWithData, dispose } = setup()
    const [guest, user] = [await guestWithData(), await userWithData()]
    const failing = { ...store, mergeGuest: async () => {
      throw new Error('store down')
    } }
    await expect(mergeGuestIntoUser(store, createDefaultAdapters(async () => failing), guest, user, context)).rejects.toThrow('store down')
    expect(await adapters.basket.add(guest, { variantId: 1, quantity: 1 }, context)).toContainEqual({ variantId: 1, quantity: 3 })
    expect((await mergeGuestIntoUser(store, adapters, guest, user, context)).report).toMatchObject({ merged: true, linesAdded: 2, linesCombined: 1 })
    await dispose()
  })
})
