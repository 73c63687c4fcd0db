import { createStorage } from 'unstorage'
import type { Driver, Storage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startRedis } from '../helpers/redis'
import type { RedisProcess } from '../helpers/redis'
import { createDefaultAdapters, mergeMarkerTtlMs, storeMergeOf } from '../../src/runtime/server/commerce/adapters'
import { mergeGuestIntoUser } from '../../src/runtime/server/commerce/merge'
import { createGuestId, hashSessionId, parseSessionId } from '../../src/runtime/server/session/id'
import { ownerDataKeys } from '../../src/runtime/server/store/keys'
import { CommerceConflictError, commerceKeys, createCommerceStore, createSessionStore, loginLockKey, mergeMarkerKey, sessionKeys, storefrontMemoryDriver } from '../../src/runtime/server/store'
import type { CommerceAdapterContext, CommerceOwner, StorefrontCommerceAdapters } from '../../src/runtime/types/commerce'

// The login's merge (mergeGuestIntoUser) on the embedded store, through the store's two-step merge that the default
// adapters allow, and through an app's own adapters (the adapters' merges), with the same outcome.

const SHOP = '1001'
const HOUR = 3_600_000
const context: CommerceAdapterContext = {
  limits: { maxQuantityPerLine: 5, maxBasketLines: 3, maxWishlistItems: 3, mergePolicy: 'sum', dataTtlMs: HOUR, guestTtlMs: HOUR },
}

/**
 * The embedded store; `failNext(pattern)` makes the commerce store's next write of a key that matches fail, as a
 * store that drops a connection would.
 */
function setup(driver: Driver = storefrontMemoryDriver({ sweepIntervalMs: 0 })) {
  const storage = createStorage({ driver })
  const faults: RegExp[] = []
  const faulty: Storage = {
    ...storage,
    setItem: async (...args: Parameters<Storage['setItem']>) => {
      const fault = faults.findIndex(pattern => pattern.test(args[0]))
      if (fault >= 0) {
        faults.splice(fault, 1)
        throw new Error(`store down writing ${args[0]}`)
      }
      return storage.setItem(...args)
    },
  }
  const failNext = (pattern: RegExp) => faults.push(pattern)
  const store = createCommerceStore(faulty, driver)
  const sessions = createSessionStore(storage, driver, { nativeTtl: true, sweepIntervalMs: 0 })
  const adapters = createDefaultAdapters(async () => store)
  const refreshes = new Map<string, () => Promise<void>>()
  /** Refreshes a guest's session, as its next request would. */
  const refresh = (guest: CommerceOwner & { kind: 'guest' }) => refreshes.get(guest.sessionHash)!()
  /** A guest with a live session, the lines 1×2, 2×4, 3×1 and products 1, 2, 3. */
  async function guestWithData(): Promise<CommerceOwner & { kind: 'guest' }> {
    const id = createGuestId()
    const now = Date.now()
    const keys = sessionKeys(SHOP, parseSessionId(id)!)
    await sessions.create(keys, { m: JSON.stringify({ c: now, s: now, e: now + HOUR, ua: '' }) }, { ttlMs: HOUR, expiresAt: now + HOUR })
    const guest = { kind: 'guest', shopId: SHOP, sessionHash: hashSessionId(id) } as const
    refreshes.set(guest.sessionHash, async () => {
      const at = Date.now()
      // A rolling refresh, as a request of the guest makes it: its basket and wishlist follow the session.
      expect(await sessions.update({ ...keys, follow: ownerDataKeys(keys.owner) }, { set: { m: JSON.stringify({ c: now, s: at, e: at + HOUR, ua: '' }) }, del: [] }, { ttlMs: HOUR, expiresAt: at + HOUR })).toBe(true)
    })
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
  return { store, storage, adapters, failNext, refresh, guestWithData, userWithData, dispose: () => storage.dispose() }
}

const MERGED = { merged: true, linesAdded: 2, linesCombined: 1, linesCapped: 1, linesDropped: 0, unitsAdded: 2 + 2 + 1, wishlistAdded: 2 }
const USER_BASKET = [{ variantId: 2, quantity: 5 }, { variantId: 1, quantity: 2 }, { variantId: 3, quantity: 1 }]
const USER_WISHLIST = [{ productId: 2 }, { productId: 1 }, { productId: 3 }]
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
  ])('merges once through $through: a second login is refused while the first holds the guest, a retry after the cleanup finds the markers', async ({ adapt }) => {
    const { store, adapters: defaults, guestWithData, userWithData, dispose } = setup()
    const adapters = adapt(defaults)
    const [guest, user] = [await guestWithData(), await userWithData()]

    const first = await mergeGuestIntoUser(store, adapters, guest, user, context)
    expect(first.report).toEqual(MERGED)
    expect(await defaults.basket.get(user, context)).toEqual([{ variantId: 2, quantity: 5 }, { variantId: 1, quantity: 2 }, { variantId: 3, quantity: 1 }])
    expect(await defaults.wishlist.get(user, context)).toEqual([{ productId: 2 }, { productId: 1 }, { productId: 3 }])
    // Until the cleanup, the guest is locked: another login is refused (a 409: it must not end the guest session
    // while the holder may still give the guest back), and so are guest writes.
    await expect(mergeGuestIntoUser(store, adapters, guest, user, context)).rejects.toBeInstanceOf(CommerceConflictError)
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

  // A login whose merge fails leaves the guest as it was, and its retry merges everything, once; with a fault
  // between the two lists, the retry merges the list that was not merged. (Each list and its marker are one write.)
  it.each([
    { fault: 'the user\'s basket', pattern: /\{u:[^}]+\}:b$/ },
    { fault: 'the user\'s wishlist, after the basket', pattern: /\{u:[^}]+\}:w$/ },
  ])('merges all of a guest at the retry of a login whose write of $fault failed', async ({ pattern }) => {
    const { store, adapters, failNext, guestWithData, userWithData, dispose } = setup()
    const [guest, user] = [await guestWithData(), await userWithData()]
    failNext(pattern)
    await expect(mergeGuestIntoUser(store, adapters, guest, user, context)).rejects.toThrow('store down')
    expect(await adapters.basket.get(guest, context)).toHaveLength(3)
    expect(await adapters.wishlist.get(guest, context)).toHaveLength(3)

    const retry = await mergeGuestIntoUser(store, adapters, guest, user, context)
    expect(retry.report.merged).toBe(true)
    await retry.clearGuest()
    expect(await adapters.basket.get(user, context)).toEqual(USER_BASKET)
    expect(await adapters.wishlist.get(user, context)).toEqual(USER_WISHLIST)
    expect(await adapters.basket.get(guest, context)).toEqual([])
    await dispose()
  })

  it('lets a login that waits for another login of the same guest take what is left when the other succeeds', async () => {
    const { store, adapters, guestWithData, userWithData, dispose } = setup()
    const [guest, user] = [await guestWithData(), await userWithData()]
    const first = await mergeGuestIntoUser(store, adapters, guest, user, context)
    const second = mergeGuestIntoUser(store, adapters, guest, user, context, { waitMs: 60_000 })
    await first.clearGuest()
    expect((await second).report).toEqual(NO_MERGE)
    expect(await adapters.basket.get(user, context)).toEqual(USER_BASKET)
    await dispose()
  })

  // A guest session kept alive by rolling refresh past session.maxAge: its marker still holds when it logs in again.
  it('keeps a marker as long as a guest session can log in, past its maxAge', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const { store, adapters, refresh, guestWithData, userWithData, dispose } = setup()
      // The user's lists live commerce.dataTtl (30 days here); the guest session, refreshed, outlives its maxAge.
      const rolling: CommerceAdapterContext = { limits: { ...context.limits, dataTtlMs: 30 * 24 * HOUR, mergeMarkerTtlMs: mergeMarkerTtlMs({ maxAgeMs: HOUR, absoluteMaxAgeMs: 30 * 24 * HOUR }, 30 * 24 * HOUR) } }
      const [guest, user] = [await guestWithData(), await userWithData()]
      expect((await mergeGuestIntoUser(store, adapters, guest, user, rolling)).report).toEqual(MERGED)
      for (let minutes = 50; minutes <= 200; minutes += 50) {
        vi.setSystemTime(Date.now() + 50 * 60_000)
        await refresh(guest)
      }
      expect(await adapters.basket.get(guest, rolling)).toHaveLength(3)
      expect((await mergeGuestIntoUser(store, adapters, guest, user, rolling)).report).toEqual(NO_MERGE)
      expect(await adapters.basket.get(user, rolling)).toEqual(USER_BASKET)
      await dispose()
    }
    finally {
      vi.useRealTimers()
    }
  })

  it('never keeps a user\'s merged lines past commerce.dataTtl for the sake of a marker', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const { store, adapters, guestWithData, userWithData, dispose } = setup()
      const long: CommerceAdapterContext = { limits: { ...context.limits, mergeMarkerTtlMs: 30 * 24 * HOUR } }
      const [guest, user] = [await guestWithData(), await userWithData()]
      expect((await mergeGuestIntoUser(store, adapters, guest, user, long)).report.merged).toBe(true)
      vi.setSystemTime(Date.now() + 2 * HOUR)
      expect(await adapters.basket.get(user, long)).toEqual([])
      expect(await adapters.wishlist.get(user, long)).toEqual([])
      await dispose()
    }
    finally {
      vi.useRealTimers()
    }
  })

  it('gives a merge marker the longest life a guest session can have', () => {
    expect(mergeMarkerTtlMs({ maxAgeMs: HOUR, absoluteMaxAgeMs: 30 * 24 * HOUR }, 7 * 24 * HOUR)).toBe(30 * 24 * HOUR)
    expect(mergeMarkerTtlMs({ maxAgeMs: HOUR, absoluteMaxAgeMs: 0 }, 7 * 24 * HOUR)).toBe(7 * 24 * HOUR)
    expect(mergeMarkerTtlMs({ maxAgeMs: 40 * 24 * HOUR, absoluteMaxAgeMs: 30 * 24 * HOUR }, HOUR)).toBe(40 * 24 * HOUR)
  })

  it('treats a guest merged by an earlier version (its marker key) as merged', async () => {
    const { store, storage, adapters, guestWithData, userWithData, dispose } = setup()
    const [guest, user] = [await guestWithData(), await userWithData()]
    await storage.setItem(mergeMarkerKey(user, 'b', guest), { e: Date.now() + HOUR, v: 1 })
    expect((await mergeGuestIntoUser(store, adapters, guest, user, context)).report).toEqual({ ...NO_MERGE, merged: true, wishlistAdded: 2 })
    expect(await adapters.basket.get(user, context)).toEqual([{ variantId: 2, quantity: 3 }])
    await dispose()
  })
})

// What a login does on each kind of store, when a login fails after its merge or two logins race.
describe.each([
  { name: 'the embedded store', start: async () => ({ driver: () => storefrontMemoryDriver({ sweepIntervalMs: 0 }), stop: async () => {} }) },
  {
    name: 'Redis',
    start: async () => {
      const redis: RedisProcess = await startRedis()
      return { driver: () => redisDriver({ url: redis.url, base: 'sf-merge' }), stop: () => redis.dispose() }
    },
  },
])('the login merge on $name', ({ start }) => {
  let driver: () => Driver
  let stop = async () => {}
  beforeAll(async () => {
    ({ driver, stop } = await start())
  }, 60_000)
  afterAll(async () => {
    await stop()
  })

  const ownMerges = (adapters: StorefrontCommerceAdapters): StorefrontCommerceAdapters => ({
    basket: { ...adapters.basket, merge: async (...args) => adapters.basket.merge(...args) },
    wishlist: { ...adapters.wishlist, merge: async (...args) => adapters.wishlist.merge(...args) },
  })

  // The merge is in, then the login fails (a storefront:login hook throws, the session save fails): the guest session
  // and its lists survive, locked until the lock lapses. The guest then adds to its basket and wishlist and logs in
  // again: what it added comes over, what was merged does not come over twice.
  describe('after a login that failed once its merge was in', () => {
    it.each([
      { through: 'the store', adapt: (adapters: StorefrontCommerceAdapters) => adapters },
      { through: 'the adapters', adapt: ownMerges },
    ])('merges only what the guest added since, through $through', async ({ adapt }) => {
      const { store, storage, adapters: defaults, guestWithData, userWithData, dispose } = setup(driver())
      const adapters = adapt(defaults)
      const roomy: CommerceAdapterContext = { limits: { ...context.limits, maxBasketLines: 5, maxWishlistItems: 5 } }
      const [guest, user] = [await guestWithData(), await userWithData()]
      expect((await mergeGuestIntoUser(store, adapters, guest, user, roomy)).report).toEqual(MERGED)
      // The login fails here: no cleanup. 30 s later the lock lapses.
      await storage.removeItem(loginLockKey(guest))
      await defaults.basket.add(guest, { variantId: 1, quantity: 1 }, roomy)
      await defaults.basket.add(guest, { variantId: 4, quantity: 1 }, roomy)
      await defaults.wishlist.add(guest, { productId: 5 }, roomy)

      const again = await mergeGuestIntoUser(store, adapters, guest, user, roomy)
      expect(again.report).toEqual({ merged: true, linesAdded: 1, linesCombined: 1, linesCapped: 0, linesDropped: 0, unitsAdded: 2, wishlistAdded: 1 })
      await again.clearGuest()
      expect(await defaults.basket.get(user, roomy)).toEqual([...USER_BASKET.map(l => l.variantId === 1 ? { variantId: 1, quantity: 3 } : l), { variantId: 4, quantity: 1 }])
      expect(await defaults.wishlist.get(user, roomy)).toEqual([...USER_WISHLIST, { productId: 5 }])
      expect(await defaults.basket.get(guest, roomy)).toEqual([])
      // Nothing new since: a further login merges nothing.
      expect((await mergeGuestIntoUser(store, adapters, guest, user, roomy)).report).toEqual(NO_MERGE)
      await dispose()
    })
  })

  // Two logins race with one guest cookie; the first takes the guest and its merge fails. The second waits for it, then
  // merges the guest itself (before, it carried on without merging and its save ended the guest session: the guest's
  // lists, in its session record on Redis, were merged zero times).
  it('lets a login that waits for another login of the same guest merge it when the other\'s merge fails', async () => {
    const { store, adapters, guestWithData, userWithData, dispose } = setup(driver())
    const [guest, user] = [await guestWithData(), await userWithData()]
    let fail!: () => void
    const failing = new Promise<void>((resolve) => {
      fail = resolve
    })
    let holding!: () => void
    const held = new Promise<void>((resolve) => {
      holding = resolve
    })
    const holderStore = { ...store, mergeGuest: async () => {
      holding()
      await failing
      throw new Error('store down')
    } }
    let refused!: () => void
    const waited = new Promise<void>((resolve) => {
      refused = resolve
    })
    const racerStore = { ...store, claimGuest: async (...args: Parameters<typeof store.claimGuest>) => {
      const claimed = await store.claimGuest(...args)
      if (!claimed) refused()
      return claimed
    } }

    const holder = mergeGuestIntoUser(store, createDefaultAdapters(async () => holderStore), guest, user, context)
    await held
    const racer = mergeGuestIntoUser(store, createDefaultAdapters(async () => racerStore), guest, user, context, { waitMs: 60_000 })
    await waited
    fail()
    await expect(holder).rejects.toThrow('store down')
    const merge = await racer
    expect(merge.report).toEqual(MERGED)
    await merge.clearGuest()
    expect(await adapters.basket.get(user, context)).toEqual(USER_BASKET)
    expect(await adapters.wishlist.get(user, context)).toEqual(USER_WISHLIST)
    await dispose()
  })
})
