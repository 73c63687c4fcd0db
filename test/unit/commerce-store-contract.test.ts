import { CommerceConflictError, CommerceLimitError, commerceKeys, createCommerceStore, createSessionDriver, createSessionStore, loginLockKey, sessionKeys, storefrontMemoryDriver, type BasketMergeOptions, type BasketWriteOptions, type CommerceStore, type SessionStore } from '../../src/runtime/server/store'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStorage } from 'unstorage'
import type { Driver } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BasketLine, BasketMergePolicy, CommerceOwner } from '../../src/runtime/types/commerce'
import { createGuestId, hashSessionId, parseSessionId } from '../../src/runtime/server/session/id'
import { startRedis } from '../helpers/redis'
import { startRedisCluster } from '../helpers/redis-cluster'

/** A commerce store on one backend, with the session store beside it (guest writes need a live guest session). */
interface Backend {
  commerce: CommerceStore
  sessions: SessionStore
  dispose: () => Promise<void>
}

const SHOP = '1001'
const HOUR = 3_600_000

async function backendOn(driver: Driver, nativeTtl: boolean, cleanup: () => Promise<void> = async () => {}): Promise<Backend> {
  const storage = createStorage({ driver })
  const sessions = createSessionStore(storage, driver, { nativeTtl, sweepIntervalMs: 0 })
  return {
    commerce: createCommerceStore(storage, driver),
    sessions,
    async dispose() {
      try {
        await sessions.dispose()
        await storage.dispose()
      }
      finally {
        await cleanup()
      }
    },
  }
}

// Every backend a shop can run on: the embedded store, a driver without native expiry, Redis and Redis Cluster.
const BACKENDS: { name: string, start: () => Promise<Backend> }[] = [
  { name: 'memory', start: () => backendOn(storefrontMemoryDriver({ sweepIntervalMs: 0 }), true) },
  {
    name: 'fs',
    start: () => {
      const base = mkdtempSync(join(tmpdir(), 'storefront-commerce-fs-'))
      return backendOn(fsDriver({ base }), false, async () => rmSync(base, { recursive: true, force: true }))
    },
  },
  {
    name: 'redis',
    start: async () => {
      const redis = await startRedis()
      return backendOn(redisDriver({ url: redis.url, base: 'sf-commerce' }), true, () => redis.dispose())
    },
  },
  {
    name: 'redis cluster (3 masters)',
    start: async () => {
      const cluster = await startRedisCluster(3)
      const { driver } = await createSessionDriver({ driver: 'redis', cluster: cluster.nodeList, base: 'sf-commerce' }, 2000)
      return backendOn(driver, true, () => cluster.dispose())
    },
  },
]

const newUser = (): CommerceOwner & { kind: 'user' } => ({ kind: 'user', shopId: SHOP, userId: `u-${randomUUID()}` })
const limits = (over: Partial<BasketWriteOptions> = {}): BasketWriteOptions => ({ cap: 5, maxLines: 3, ttlMs: HOUR, ...over })
const mergeOptions = (policy: BasketMergePolicy, over: Partial<BasketMergeOptions> = {}): BasketMergeOptions =>
  ({ policy, cap: 5, maxLines: 3, ttlMs: HOUR, markerTtlMs: HOUR, ...over })
const line = (variantId: number, quantity: number): BasketLine => ({ variantId, quantity })
const byVariant = (lines: BasketLine[]) => [...lines].sort((a, b) => a.variantId - b.variantId)
const marker = (user: CommerceOwner & { kind: 'user' }) => `${SHOP}:{u:${user.userId}}:mb:${randomUUID()}`

async function pollUntil(check: () => Promise<boolean>, what: string, deadlineMs = 5_000) {
  const deadline = Date.now() + deadlineMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe.each(BACKENDS)('commerce store contract on $name', ({ start }) => {
  let backend: Backend
  let store: CommerceStore
  beforeAll(async () => {
    backend = await start()
    store = backend.commerce
  }, 60_000)
  afterAll(async () => {
    await backend?.dispose()
  })

  /** A guest whose session exists in the session store, as after its first request. */
  async function liveGuest(): Promise<CommerceOwner & { kind: 'guest' }> {
    const id = createGuestId()
    const keys = sessionKeys(SHOP, parseSessionId(id)!)
    const now = Date.now()
    const at = { ttlMs: HOUR, expiresAt: now + HOUR }
    expect(await backend.sessions.create(keys, { m: JSON.stringify({ c: now, s: now, e: at.expiresAt, ua: '' }) }, at)).toBe(true)
    return { kind: 'guest', shopId: SHOP, sessionHash: hashSessionId(id) }
  }

  /** Writes lines into a basket one by one, in order. */
  async function fill(key: string, lines: BasketLine[], options = limits()) {
    for (const l of lines) await store.writeBasket(key, { ...l, mode: 'add' }, options)
  }

  it('reads an empty basket and wishlist for a new owner', async () => {
    const keys = commerceKeys(newUser())
    expect(await store.readBasket(keys.basket)).toEqual([])
    expect(await store.readWishlist(keys.wishlist)).toEqual([])
  })

  it('adds to a line\'s quantity and keeps lines in the order they were added', async () => {
    const keys = commerceKeys(newUser())
    expect(await store.writeBasket(keys.basket, { variantId: 30, quantity: 2, mode: 'add' }, limits())).toEqual([line(30, 2)])
    expect(await store.writeBasket(keys.basket, { variantId: 30, quantity: 1, mode: 'add' }, limits())).toEqual([line(30, 3)])
    await new Promise(resolve => setTimeout(resolve, 5))
    expect(await store.writeBasket(keys.basket, { variantId: 10, quantity: 1, mode: 'add' }, limits())).toEqual([line(30, 3), line(10, 1)])
    expect(await store.readBasket(keys.basket)).toEqual([line(30, 3), line(10, 1)])
  })

  it('sets a quantity, adds a missing line with set, and removes a line with 0', async () => {
    const keys = commerceKeys(newUser())
    await fill(keys.basket, [line(1, 4)])
    expect(await store.writeBasket(keys.basket, { variantId: 1, quantity: 2, mode: 'set' }, limits())).toEqual([line(1, 2)])
    expect(byVariant(await store.writeBasket(keys.basket, { variantId: 2, quantity: 3, mode: 'set' }, limits()))).toEqual([line(1, 2), line(2, 3)])
    expect(await store.writeBasket(keys.basket, { variantId: 1, quantity: 0, mode: 'set' }, limits())).toEqual([line(2, 3)])
    // Removing a line that is not there changes nothing.
    expect(await store.writeBasket(keys.basket, { variantId: 99, quantity: 0, mode: 'set' }, limits())).toEqual([line(2, 3)])
    expect(await store.writeBasket(keys.basket, { variantId: 2, quantity: 0, mode: 'set' }, limits())).toEqual([])
    expect(await store.readBasket(keys.basket)).toEqual([])
  })

  it('caps a line at the quantity cap, by add and by set', async () => {
    const keys = commerceKeys(newUser())
    expect(await store.writeBasket(keys.basket, { variantId: 1, quantity: 4, mode: 'add' }, limits({ cap: 5 }))).toEqual([line(1, 4)])
    expect(await store.writeBasket(keys.basket, { variantId: 1, quantity: 4, mode: 'add' }, limits({ cap: 5 }))).toEqual([line(1, 5)])
    expect(byVariant(await store.writeBasket(keys.basket, { variantId: 2, quantity: 50, mode: 'set' }, limits({ cap: 5 })))).toEqual([line(1, 5), line(2, 5)])
    expect(byVariant(await store.writeBasket(keys.basket, { variantId: 3, quantity: 9, mode: 'add' }, limits({ cap: 5 })))).toEqual([line(1, 5), line(2, 5), line(3, 5)])
  })

  it('refuses a new line in a full basket and leaves it as it was, but still changes the lines it has', async () => {
    const keys = commerceKeys(newUser())
    await fill(keys.basket, [line(1, 1), line(2, 1), line(3, 1)], limits({ maxLines: 3 }))
    for (const mode of ['add', 'set'] as const) {
      await expect(store.writeBasket(keys.basket, { variantId: 4, quantity: 1, mode }, limits({ maxLines: 3 }))).rejects.toBeInstanceOf(CommerceLimitError)
    }
    expect(byVariant(await store.readBasket(keys.basket))).toEqual([line(1, 1), line(2, 1), line(3, 1)])
    expect(byVariant(await store.writeBasket(keys.basket, { variantId: 2, quantity: 2, mode: 'add' }, limits({ maxLines: 3 })))).toEqual([line(1, 1), line(2, 3), line(3, 1)])
    await store.writeBasket(keys.basket, { variantId: 1, quantity: 0, mode: 'set' }, limits({ maxLines: 3 }))
    expect(byVariant(await store.writeBasket(keys.basket, { variantId: 4, quantity: 1, mode: 'add' }, limits({ maxLines: 3 })))).toEqual([line(2, 3), line(3, 1), line(4, 1)])
  })

  it('keeps wishlist items once, refuses a new one when full and removes them', async () => {
    const keys = commerceKeys(newUser())
    const options = { maxItems: 2, ttlMs: HOUR }
    expect(await store.writeWishlist(keys.wishlist, { productId: 7, mode: 'add' }, options)).toEqual([{ productId: 7 }])
    expect(await store.writeWishlist(keys.wishlist, { productId: 7, mode: 'add' }, options)).toEqual([{ productId: 7 }])
    await new Promise(resolve => setTimeout(resolve, 5))
    expect(await store.writeWishlist(keys.wishlist, { productId: 3, mode: 'add' }, options)).toEqual([{ productId: 7 }, { productId: 3 }])
    await expect(store.writeWishlist(keys.wishlist, { productId: 9, mode: 'add' }, options)).rejects.toBeInstanceOf(CommerceLimitError)
    expect(await store.writeWishlist(keys.wishlist, { productId: 7, mode: 'remove' }, options)).toEqual([{ productId: 3 }])
    expect(await store.writeWishlist(keys.wishlist, { productId: 3, mode: 'remove' }, options)).toEqual([])
    expect(await store.readWishlist(keys.wishlist)).toEqual([])
  })

  it('lets a basket end after its ttl', async () => {
    const keys = commerceKeys(newUser())
    await store.writeBasket(keys.basket, { variantId: 1, quantity: 1, mode: 'add' }, limits({ ttlMs: 300 }))
    expect(await store.readBasket(keys.basket)).toEqual([line(1, 1)])
    await pollUntil(async () => (await store.readBasket(keys.basket)).length === 0, 'basket expiry')
  })

  it('applies a write with an Idempotency-Key record once', async () => {
    const user = newUser()
    const keys = commerceKeys(user)
    const once = { key: `${SHOP}:{u:${user.userId}}:k:${randomUUID()}`, ttlMs: HOUR, value: '~fingerprint-of-the-basket-call' }
    expect(await store.writeBasket(keys.basket, { variantId: 1, quantity: 2, mode: 'add' }, limits({ once }))).toEqual([line(1, 2)])
    expect(await store.writeBasket(keys.basket, { variantId: 1, quantity: 2, mode: 'add' }, limits({ once }))).toEqual([line(1, 2)])
    const wishOnce = { key: `${SHOP}:{u:${user.userId}}:k:${randomUUID()}`, ttlMs: HOUR, value: '~fingerprint-of-the-wishlist-call' }
    await store.writeWishlist(keys.wishlist, { productId: 5, mode: 'add' }, { maxItems: 5, ttlMs: HOUR, once: wishOnce })
    expect(await store.writeWishlist(keys.wishlist, { productId: 6, mode: 'add' }, { maxItems: 5, ttlMs: HOUR, once: wishOnce })).toEqual([{ productId: 5 }])
    // The record holds the call's payload fingerprint, so that the key sent again with other params is told apart.
    expect(await backend.sessions.readOnce(once.key)).toBe(once.value)
    expect(await backend.sessions.readOnce(wishOnce.key)).toBe(wishOnce.value)
  })

  describe('guest guard', () => {
    it('refuses a guest write once the guest session is gone, and writes nothing', async () => {
      const gone: CommerceOwner & { kind: 'guest' } = { kind: 'guest', shopId: SHOP, sessionHash: hashSessionId(createGuestId()) }
      const keys = commerceKeys(gone)
      await expect(store.writeBasket(keys.basket, { variantId: 1, quantity: 1, mode: 'add' }, limits({ guard: keys.guard }))).rejects.toBeInstanceOf(CommerceConflictError)
      await expect(store.writeWishlist(keys.wishlist, { productId: 1, mode: 'add' }, { maxItems: 5, ttlMs: HOUR, guard: keys.guard })).rejects.toBeInstanceOf(CommerceConflictError)
      expect(await store.readBasket(keys.basket)).toEqual([])
      expect(await store.readWishlist(keys.wishlist)).toEqual([])
    })

    it('writes for a live guest and refuses while a login holds its lock', async () => {
      const guest = await liveGuest()
      const keys = commerceKeys(guest)
      expect(await store.writeBasket(keys.basket, { variantId: 1, quantity: 1, mode: 'add' }, limits({ guard: keys.guard }))).toEqual([line(1, 1)])
      const token = randomUUID()
      expect(await store.claim(loginLockKey(guest), token, 30_000)).toBe(true)
      await expect(store.writeBasket(keys.basket, { variantId: 1, quantity: 1, mode: 'add' }, limits({ guard: keys.guard }))).rejects.toBeInstanceOf(CommerceConflictError)
      await expect(store.writeBasket(keys.basket, { variantId: 1, quantity: 0, mode: 'set' }, limits({ guard: keys.guard }))).rejects.toBeInstanceOf(CommerceConflictError)
      await expect(store.writeWishlist(keys.wishlist, { productId: 1, mode: 'add' }, { maxItems: 5, ttlMs: HOUR, guard: keys.guard })).rejects.toBeInstanceOf(CommerceConflictError)
      expect(await store.readBasket(keys.basket)).toEqual([line(1, 1)])
      // Another token cannot release the lock; the holder can.
      await store.release(loginLockKey(guest), randomUUID())
      await expect(store.writeBasket(keys.basket, { variantId: 1, quantity: 1, mode: 'add' }, limits({ guard: keys.guard }))).rejects.toBeInstanceOf(CommerceConflictError)
      await store.release(loginLockKey(guest), token)
      expect(await store.writeBasket(keys.basket, { variantId: 1, quantity: 1, mode: 'add' }, limits({ guard: keys.guard }))).toEqual([line(1, 2)])
    })
  })

  describe('claim and release', () => {
    it('gives a lock to one holder at a time and releases it only for its token', async () => {
      const lock = loginLockKey({ kind: 'guest', shopId: SHOP, sessionHash: hashSessionId(createGuestId()) })
      const [a, b] = [randomUUID(), randomUUID()]
      const claims = await Promise.all([store.claim(lock, a, 30_000), store.claim(lock, b, 30_000)])
      expect(claims.filter(Boolean)).toHaveLength(1)
      const holder = claims[0] ? a : b
      const other = claims[0] ? b : a
      await store.release(lock, other)
      expect(await store.claim(lock, other, 30_000)).toBe(false)
      await store.release(lock, holder)
      expect(await store.claim(lock, other, 30_000)).toBe(true)
      await store.release(lock, other)
    })

    it('lets a lock lapse after its ttl', async () => {
      const lock = loginLockKey({ kind: 'guest', shopId: SHOP, sessionHash: hashSessionId(createGuestId()) })
      expect(await store.claim(lock, randomUUID(), 200)).toBe(true)
      expect(await store.claim(lock, randomUUID(), 200)).toBe(false)
      await pollUntil(() => store.claim(lock, randomUUID(), 30_000), 'lock lapse')
    })
  })

  describe('basket merge', () => {
    // The user has 1×3 and 2×1; the guest brings 1×2, 2×9, 3×7 (over the cap) and 4×1 (past the line limit of 3).
    const userLines = [line(1, 3), line(2, 1)]
    const guestLines = [line(1, 2), line(2, 9), line(3, 7), line(4, 1)]
    const cases: { policy: BasketMergePolicy, basket: BasketLine[], counts: object }[] = [
      { policy: 'sum', basket: [line(1, 5), line(2, 5), line(3, 5)], counts: { linesAdded: 1, linesCombined: 2, linesCapped: 2, linesDropped: 1, unitsAdded: 2 + 4 + 5 } },
      { policy: 'max', basket: [line(1, 3), line(2, 5), line(3, 5)], counts: { linesAdded: 1, linesCombined: 2, linesCapped: 2, linesDropped: 1, unitsAdded: 0 + 4 + 5 } },
      { policy: 'keep-user', basket: [line(1, 3), line(2, 1), line(3, 5)], counts: { linesAdded: 1, linesCombined: 2, linesCapped: 1, linesDropped: 1, unitsAdded: 5 } },
    ]

    it.each(cases)('merges under $policy with caps and dropped lines', async ({ policy, basket, counts }) => {
      const user = newUser()
      const keys = commerceKeys(user)
      await fill(keys.basket, userLines)
      expect(await store.mergeBasket(keys.basket, marker(user), guestLines, mergeOptions(policy))).toEqual(counts)
      expect(byVariant(await store.readBasket(keys.basket))).toEqual(basket)
    })

    it('merges into an empty basket, keeping the guest\'s order after the user\'s lines', async () => {
      const user = newUser()
      const keys = commerceKeys(user)
      expect(await store.mergeBasket(keys.basket, marker(user), [line(30, 1), line(10, 2), line(20, 3)], mergeOptions('sum'))).toEqual(
        { linesAdded: 3, linesCombined: 0, linesCapped: 0, linesDropped: 0, unitsAdded: 6 },
      )
      expect(await store.readBasket(keys.basket)).toEqual([line(30, 1), line(10, 2), line(20, 3)])
      await new Promise(resolve => setTimeout(resolve, 5))
      const otherUser = newUser()
      const other = commerceKeys(otherUser)
      await fill(other.basket, [line(50, 1)])
      await new Promise(resolve => setTimeout(resolve, 5))
      await store.mergeBasket(other.basket, marker(otherUser), [line(40, 1), line(5, 1)], mergeOptions('sum'))
      expect(await store.readBasket(other.basket)).toEqual([line(50, 1), line(40, 1), line(5, 1)])
    })

    it('merges once per marker: a retry changes nothing, what the guest added since comes over alone, another guest merges again', async () => {
      const user = newUser()
      const keys = commerceKeys(user)
      const once = marker(user)
      const first = await Promise.all([
        store.mergeBasket(keys.basket, once, [line(1, 2)], mergeOptions('sum')),
        store.mergeBasket(keys.basket, once, [line(1, 2)], mergeOptions('sum')),
      ])
      expect(first.filter(counts => counts !== null)).toHaveLength(1)
      expect(await store.mergeBasket(keys.basket, once, [line(1, 2)], mergeOptions('sum'))).toBeNull()
      expect(await store.readBasket(keys.basket)).toEqual([line(1, 2)])
      // The same guest after a login that failed once its merge was in: one more unit of line 1 and a new line.
      expect(await store.mergeBasket(keys.basket, once, [line(1, 3), line(2, 1)], mergeOptions('sum'))).toEqual(
        { linesAdded: 1, linesCombined: 1, linesCapped: 0, linesDropped: 0, unitsAdded: 2 },
      )
      expect(await store.mergeBasket(keys.basket, once, [line(1, 3), line(2, 1)], mergeOptions('sum'))).toBeNull()
      expect(byVariant(await store.readBasket(keys.basket))).toEqual([line(1, 3), line(2, 1)])
      expect(await store.mergeBasket(keys.basket, marker(user), [line(1, 2)], mergeOptions('sum'))).toMatchObject({ linesCombined: 1, unitsAdded: 2 })
      expect(byVariant(await store.readBasket(keys.basket))).toEqual([line(1, 5), line(2, 1)])
    })

    it('records the marker even when there is nothing to merge, and takes in a line the guest adds afterwards', async () => {
      const user = newUser()
      const keys = commerceKeys(user)
      const once = marker(user)
      expect(await store.mergeBasket(keys.basket, once, [], mergeOptions('sum'))).toEqual({ linesAdded: 0, linesCombined: 0, linesCapped: 0, linesDropped: 0, unitsAdded: 0 })
      expect(await store.mergeBasket(keys.basket, once, [], mergeOptions('sum'))).toBeNull()
      expect(await store.readBasket(keys.basket)).toEqual([])
      expect(await store.mergeBasket(keys.basket, once, [line(1, 1)], mergeOptions('sum'))).toMatchObject({ linesAdded: 1, unitsAdded: 1 })
      expect(await store.readBasket(keys.basket)).toEqual([line(1, 1)])
    })
  })

  describe('wishlist merge', () => {
    it('adds new items up to the limit, once per marker', async () => {
      const user = newUser()
      const keys = commerceKeys(user)
      await store.writeWishlist(keys.wishlist, { productId: 1, mode: 'add' }, { maxItems: 3, ttlMs: HOUR })
      const once = `${SHOP}:{u:${user.userId}}:mw:${randomUUID()}`
      const options = { maxItems: 3, ttlMs: HOUR, markerTtlMs: HOUR }
      expect(await store.mergeWishlist(keys.wishlist, once, [{ productId: 1 }, { productId: 2 }, { productId: 3 }, { productId: 4 }], options)).toBe(2)
      expect(await store.readWishlist(keys.wishlist)).toEqual([{ productId: 1 }, { productId: 2 }, { productId: 3 }])
      expect(await store.mergeWishlist(keys.wishlist, once, [{ productId: 1 }, { productId: 2 }, { productId: 3 }, { productId: 4 }], { ...options, maxItems: 10 })).toBeNull()
      expect(await store.readWishlist(keys.wishlist)).toHaveLength(3)
      // An item the guest added since comes over alone; 4, dropped when the wishlist was full, was taken in.
      expect(await store.mergeWishlist(keys.wishlist, once, [{ productId: 4 }, { productId: 9 }], { ...options, maxItems: 10 })).toBe(1)
      expect(await store.readWishlist(keys.wishlist)).toEqual([{ productId: 1 }, { productId: 2 }, { productId: 3 }, { productId: 9 }])
    })
  })

  describe('login: claim of a guest and merge of both lists', () => {
    const wishlistOptions = { maxItems: 3, ttlMs: HOUR, markerTtlMs: HOUR }
    const mergeKeys = (user: CommerceOwner & { kind: 'user' }) => {
      const keys = commerceKeys(user)
      return { basket: keys.basket, basketMarker: marker(user), wishlist: keys.wishlist, wishlistMarker: `${SHOP}:{u:${user.userId}}:mw:${randomUUID()}` }
    }

    it('claims a guest for one login at a time and reads its lists in the same step, oldest first', async () => {
      const guest = await liveGuest()
      const keys = commerceKeys(guest)
      // Lines and items are ordered by when they were added, to the millisecond.
      for (const l of [line(7, 2), line(3, 1)]) {
        await fill(keys.basket, [l], limits({ guard: keys.guard }))
        await new Promise(resolve => setTimeout(resolve, 5))
      }
      for (const productId of [9, 4]) {
        await store.writeWishlist(keys.wishlist, { productId, mode: 'add' }, { maxItems: 5, ttlMs: HOUR, guard: keys.guard })
        await new Promise(resolve => setTimeout(resolve, 5))
      }
      const [a, b] = [randomUUID(), randomUUID()]
      const claims = await Promise.all([store.claimGuest(loginLockKey(guest), a, 30_000, keys), store.claimGuest(loginLockKey(guest), b, 30_000, keys)])
      expect(claims.filter(claim => claim === null)).toHaveLength(1)
      expect(claims.find(claim => claim !== null)).toEqual({ basket: [line(7, 2), line(3, 1)], wishlist: [{ productId: 9 }, { productId: 4 }] })
      // The claim is the login lock: guest writes are refused until its holder releases it.
      await expect(store.writeBasket(keys.basket, { variantId: 7, quantity: 1, mode: 'add' }, limits({ guard: keys.guard }))).rejects.toBeInstanceOf(CommerceConflictError)
      expect(await store.claim(loginLockKey(guest), randomUUID(), 30_000)).toBe(false)
      await store.release(loginLockKey(guest), claims[0] ? a : b)
      expect(await store.claimGuest(loginLockKey(guest), randomUUID(), 30_000, keys)).toMatchObject({ basket: [line(7, 2), line(3, 1)] })
    })

    it('claims a guest without a basket or wishlist, and lets the claim lapse after its ttl', async () => {
      const guest = await liveGuest()
      const keys = commerceKeys(guest)
      expect(await store.claimGuest(loginLockKey(guest), randomUUID(), 200, keys)).toEqual({ basket: [], wishlist: [] })
      expect(await store.claimGuest(loginLockKey(guest), randomUUID(), 200, keys)).toBeNull()
      await pollUntil(async () => await store.claimGuest(loginLockKey(guest), randomUUID(), 30_000, keys) !== null, 'claim lapse')
    })

    // The same user and guest as the basket merge above, with a wishlist beside: both lists in one step.
    it.each(['sum', 'max', 'keep-user'] as const)('merges both lists under %s with caps and limits, each once under its marker', async (policy) => {
      const user = newUser()
      const keys = mergeKeys(user)
      await fill(keys.basket, [line(1, 3), line(2, 1)])
      await store.writeWishlist(keys.wishlist, { productId: 1, mode: 'add' }, { maxItems: 3, ttlMs: HOUR })
      const guest = { basket: [line(1, 2), line(2, 9), line(3, 7), line(4, 1)], wishlist: [{ productId: 1 }, { productId: 2 }, { productId: 3 }, { productId: 4 }] }
      const expected = {
        'sum': { basket: [line(1, 5), line(2, 5), line(3, 5)], counts: { linesAdded: 1, linesCombined: 2, linesCapped: 2, linesDropped: 1, unitsAdded: 11 } },
        'max': { basket: [line(1, 3), line(2, 5), line(3, 5)], counts: { linesAdded: 1, linesCombined: 2, linesCapped: 2, linesDropped: 1, unitsAdded: 9 } },
        'keep-user': { basket: [line(1, 3), line(2, 1), line(3, 5)], counts: { linesAdded: 1, linesCombined: 2, linesCapped: 1, linesDropped: 1, unitsAdded: 5 } },
      }[policy]
      const options = { basket: mergeOptions(policy), wishlist: wishlistOptions }
      const runs = await Promise.all([store.mergeGuest(keys, guest, options), store.mergeGuest(keys, guest, options)])
      expect(runs).toContainEqual({ basket: expected.counts, wishlist: 2 })
      expect(runs).toContainEqual({ basket: null, wishlist: null })
      expect(byVariant(await store.readBasket(keys.basket))).toEqual(expected.basket)
      expect(await store.readWishlist(keys.wishlist)).toEqual([{ productId: 1 }, { productId: 2 }, { productId: 3 }])
      // The markers are those of mergeBasket and mergeWishlist: a merge of either list alone finds its own.
      expect(await store.mergeBasket(keys.basket, keys.basketMarker, guest.basket, mergeOptions(policy))).toBeNull()
      expect(await store.mergeWishlist(keys.wishlist, keys.wishlistMarker, guest.wishlist, { ...wishlistOptions, maxItems: 10 })).toBeNull()
      expect(byVariant(await store.readBasket(keys.basket))).toEqual(expected.basket)
    })

    it('merges only the list whose marker is not there yet, keeping the guest\'s order after the user\'s lines', async () => {
      const user = newUser()
      const keys = mergeKeys(user)
      await fill(keys.basket, [line(50, 1)])
      await new Promise(resolve => setTimeout(resolve, 5))
      expect(await store.mergeBasket(keys.basket, keys.basketMarker, [line(40, 1)], mergeOptions('sum'))).not.toBeNull()
      const guest = { basket: [line(40, 2), line(30, 1)], wishlist: [{ productId: 8 }, { productId: 6 }] }
      expect(await store.mergeGuest(keys, { ...guest, basket: [line(40, 1)] }, { basket: mergeOptions('sum'), wishlist: wishlistOptions })).toEqual({ basket: null, wishlist: 2 })
      expect(await store.readBasket(keys.basket)).toEqual([line(50, 1), line(40, 1)])
      expect(await store.readWishlist(keys.wishlist)).toEqual([{ productId: 8 }, { productId: 6 }])

      const fresh = mergeKeys(user)
      expect(await store.mergeGuest(fresh, { basket: guest.basket, wishlist: [] }, { basket: mergeOptions('sum'), wishlist: wishlistOptions })).toEqual({
        basket: { linesAdded: 1, linesCombined: 1, linesCapped: 0, linesDropped: 0, unitsAdded: 3 },
        wishlist: 0,
      })
      expect(await store.readBasket(keys.basket)).toEqual([line(50, 1), line(40, 3), line(30, 1)])
    })
  })

  it('removes an owner\'s keys', async () => {
    const guest = await liveGuest()
    const keys = commerceKeys(guest)
    await store.writeBasket(keys.basket, { variantId: 1, quantity: 1, mode: 'add' }, limits({ guard: keys.guard }))
    await store.writeWishlist(keys.wishlist, { productId: 1, mode: 'add' }, { maxItems: 5, ttlMs: HOUR, guard: keys.guard })
    await store.remove([keys.basket, keys.wishlist])
    expect(await store.readBasket(keys.basket)).toEqual([])
    expect(await store.readWishlist(keys.wishlist)).toEqual([])
  })
})
