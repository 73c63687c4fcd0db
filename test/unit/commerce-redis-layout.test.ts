import { commerceKeys, mergeMarkerKey, sessionKeys, type CommerceStore, type SessionStore } from '../../src/runtime/server/store'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CommerceOwner } from '../../src/runtime/types/commerce'
import { createGuestId, hashSessionId, parseSessionId } from '../../src/runtime/server/session/id'
import { startCommerceRedis, type CommerceRedis } from '../helpers/commerce-redis'

// How the Redis commerce store lays out an owner's lists: fields of one record per owner (a guest's session record,
// a user's `:c`), and how it reads and folds in lists stored in the earlier layout (a basket hash, a wishlist sorted
// set and a marker key per merged guest), so an upgrade keeps every basket.

const SHOP = '1001'
const BASE = 'sf-layout'
const HOUR = 3_600_000
const limits = { cap: 9, maxLines: 50, ttlMs: HOUR }
const mergeOptions = { policy: 'sum' as const, cap: 9, maxLines: 50, ttlMs: HOUR, markerTtlMs: HOUR }
let counter = 0

describe('the Redis commerce layout', () => {
  let started: CommerceRedis
  let raw: Redis
  let store: CommerceStore
  let sessions: SessionStore

  beforeAll(async () => {
    started = await startCommerceRedis(BASE)
    ;({ store, sessions } = started)
    raw = started.redis.client()
  }, 60_000)
  afterAll(async () => {
    raw?.disconnect()
    await started?.dispose()
  })

  const ownerKeys = async (owner: string) => (await raw.keys(`${BASE}:${owner}*`)).map(key => key.slice(BASE.length + 1)).sort()
  const newUser = (): CommerceOwner & { kind: 'user' } => ({ kind: 'user', shopId: SHOP, userId: `u${++counter}` })

  async function liveGuest() {
    const id = createGuestId()
    const keys = sessionKeys(SHOP, parseSessionId(id)!)
    const now = Date.now()
    expect(await sessions.create(keys, { 'm': JSON.stringify({ c: now, s: now, e: now + HOUR, ua: '' }), 'd:cart-note': '"gift"' }, { ttlMs: HOUR, expiresAt: now + HOUR })).toBe(true)
    return { owner: { kind: 'guest', shopId: SHOP, sessionHash: hashSessionId(id) } as CommerceOwner & { kind: 'guest' }, keys }
  }

  it('keeps a guest\'s basket and wishlist in its session record: one key, which session writes leave intact', async () => {
    const { owner, keys } = await liveGuest()
    const lists = commerceKeys(owner)
    for (const variantId of [301, 101, 201]) await store.writeBasket(lists.basket, { variantId, quantity: 2, mode: 'add' }, { ...limits, guard: lists.guard })
    await store.writeWishlist(lists.wishlist, { productId: 4, mode: 'add' }, { maxItems: 10, ttlMs: HOUR, guard: lists.guard })
    expect(await ownerKeys(keys.owner)).toEqual([keys.session])

    const ttlBefore = await raw.pttl(`${BASE}:${keys.session}`)
    expect(ttlBefore).toBeGreaterThan(HOUR - 60_000)
    const now = Date.now()
    expect(await sessions.update(keys, { set: { 'd:step': '2' }, del: ['d:cart-note'] }, { ttlMs: 2 * HOUR, expiresAt: now + 2 * HOUR })).toBe(true)
    expect(await store.readBasket(lists.basket)).toEqual([{ variantId: 301, quantity: 2 }, { variantId: 101, quantity: 2 }, { variantId: 201, quantity: 2 }])
    expect(await store.readWishlist(lists.wishlist)).toEqual([{ productId: 4 }])
    const record = await raw.get(`${BASE}:${keys.session}`)
    expect(record!.split('\n')[0]).toBe('m')
    expect(record).toContain('\nd:step\n2')
    expect(record).not.toContain('cart-note')

    // A list write keeps the session's lifetime; ending the session ends its lists with it.
    await store.writeBasket(lists.basket, { variantId: 101, quantity: 0, mode: 'set' }, { ...limits, guard: lists.guard })
    expect(await raw.pttl(`${BASE}:${keys.session}`)).toBeGreaterThan(2 * HOUR - 60_000)
    await sessions.remove(keys)
    expect(await ownerKeys(keys.owner)).toEqual([])
    expect(await store.readBasket(lists.basket)).toEqual([])
  })

  it('keeps a user\'s basket, wishlist and merge markers in one record, with at most 32 markers', async () => {
    const user = newUser()
    const lists = commerceKeys(user)
    await store.writeBasket(lists.basket, { variantId: 7, quantity: 1, mode: 'add' }, limits)
    for (let i = 0; i < 40; i++) {
      const guest = { kind: 'guest', shopId: SHOP, sessionHash: `guest-${counter}-${i}` } as const
      const merged = await store.mergeGuest(
        { basket: lists.basket, wishlist: lists.wishlist, basketMarker: mergeMarkerKey(user, 'b', guest), wishlistMarker: mergeMarkerKey(user, 'w', guest) },
        { basket: [{ variantId: 7, quantity: 1 }], wishlist: [{ productId: i }] },
        { basket: mergeOptions, wishlist: { maxItems: 100, ttlMs: HOUR, markerTtlMs: HOUR } },
      )
      expect(merged.wishlist).toBe(1)
    }
    const owner = lists.basket.slice(0, -2)
    expect(await ownerKeys(owner)).toEqual([`${owner}:c`])
    const record = (await raw.get(`${BASE}:${owner}:c`))!.split('\n')
    expect(record.filter((_, i) => i % 2 === 0 && record[i]!.startsWith('g:'))).toHaveLength(32)
    expect(await store.readBasket(lists.basket)).toEqual([{ variantId: 7, quantity: 9 }])
    expect(await store.readWishlist(lists.wishlist)).toHaveLength(40)
    expect(await raw.pttl(`${BASE}:${owner}:c`)).toBeGreaterThan(HOUR - 60_000)

    await store.remove([lists.basket, lists.wishlist])
    expect(await ownerKeys(owner)).toEqual([`${owner}:c`])
    expect(await store.readBasket(lists.basket)).toEqual([])
  })

  it('reads lists stored in the earlier layout in their order, and folds both into the record at the first write', async () => {
    const user = newUser()
    const lists = commerceKeys(user)
    const owner = lists.basket.slice(0, -2)
    await raw.hset(`${BASE}:${lists.basket}`, { 'q:20': '2', 't:20': '1000', 'q:10': '1', 't:10': '2000', 'q:30': '3', 't:30': '1000' })
    await raw.pexpire(`${BASE}:${lists.basket}`, HOUR)
    await raw.zadd(`${BASE}:${lists.wishlist}`, 5000, '8', 4000, '9')
    expect(await store.readBasket(lists.basket)).toEqual([{ variantId: 20, quantity: 2 }, { variantId: 30, quantity: 3 }, { variantId: 10, quantity: 1 }])
    expect(await store.readWishlist(lists.wishlist)).toEqual([{ productId: 9 }, { productId: 8 }])

    expect(await store.writeBasket(lists.basket, { variantId: 40, quantity: 1, mode: 'add' }, limits)).toEqual([
      { variantId: 20, quantity: 2 }, { variantId: 30, quantity: 3 }, { variantId: 10, quantity: 1 }, { variantId: 40, quantity: 1 },
    ])
    expect(await ownerKeys(owner)).toEqual([`${owner}:c`])
    expect(await store.readWishlist(lists.wishlist)).toEqual([{ productId: 9 }, { productId: 8 }])
  })

  it('folds a guest\'s earlier lists into its session record, and a login merges what it holds', async () => {
    const { owner, keys } = await liveGuest()
    const lists = commerceKeys(owner)
    await raw.hset(`${BASE}:${lists.basket}`, { 'q:5': '1', 't:5': '1' })
    await raw.zadd(`${BASE}:${lists.wishlist}`, 1, '6')
    await store.writeWishlist(lists.wishlist, { productId: 7, mode: 'add' }, { maxItems: 10, ttlMs: HOUR, guard: lists.guard })
    expect(await ownerKeys(keys.owner)).toEqual([keys.session])

    const claimed = await store.claimGuest(`${keys.owner}:l`, 'token', 10_000, lists)
    expect(claimed).toEqual({ basket: [{ variantId: 5, quantity: 1 }], wishlist: [{ productId: 6 }, { productId: 7 }] })
    await expect(store.writeBasket(lists.basket, { variantId: 9, quantity: 1, mode: 'add' }, { ...limits, guard: lists.guard })).rejects.toThrow(/merged into a login/)
  })

  it('treats a guest merged before the upgrade (its marker keys) as merged', async () => {
    const user = newUser()
    const lists = commerceKeys(user)
    const guest = { kind: 'guest', shopId: SHOP, sessionHash: `earlier-${counter}` } as const
    const markers = { basketMarker: mergeMarkerKey(user, 'b', guest), wishlistMarker: mergeMarkerKey(user, 'w', guest) }
    await raw.set(`${BASE}:${markers.basketMarker}`, '1', 'PX', HOUR)
    const merged = await store.mergeGuest({ basket: lists.basket, wishlist: lists.wishlist, ...markers }, { basket: [{ variantId: 1, quantity: 1 }], wishlist: [{ productId: 2 }] }, { basket: mergeOptions, wishlist: { maxItems: 10, ttlMs: HOUR, markerTtlMs: HOUR } })
    expect(merged).toEqual({ basket: null, wishlist: 1 })
    expect(await store.readBasket(lists.basket)).toEqual([])
    expect(await store.mergeGuest({ basket: lists.basket, wishlist: lists.wishlist, ...markers }, { basket: [{ variantId: 1, quantity: 1 }], wishlist: [{ productId: 2 }] }, { basket: mergeOptions, wishlist: { maxItems: 10, ttlMs: HOUR, markerTtlMs: HOUR } })).toEqual({ basket: null, wishlist: null })
    // A marker of the earlier layout took the basket in whole; the wishlist's marker of this version takes in a new item.
    expect(await store.mergeGuest({ basket: lists.basket, wishlist: lists.wishlist, ...markers }, { basket: [{ variantId: 1, quantity: 2 }, { variantId: 4, quantity: 1 }], wishlist: [{ productId: 2 }, { productId: 3 }] }, { basket: mergeOptions, wishlist: { maxItems: 10, ttlMs: HOUR, markerTtlMs: HOUR } })).toEqual({ basket: null, wishlist: 1 })
    expect(await store.readBasket(lists.basket)).toEqual([])
  })

  it('treats a marker field that holds only its end (an earlier version\'s) as its lists merged whole', async () => {
    const user = newUser()
    const lists = commerceKeys(user)
    const owner = lists.basket.slice(0, -2)
    const [both, basketOnly] = [`both-${counter}`, `basket-${counter}`]
    const end = String(Date.now() + HOUR)
    await raw.set(`${BASE}:${owner}:c`, `b\n7:1\ng:${both}\n${end}\nmb:${basketOnly}\n${end}`, 'PX', HOUR)
    const markers = (hash: string) => {
      const guest = { kind: 'guest', shopId: SHOP, sessionHash: hash } as const
      return { basket: lists.basket, wishlist: lists.wishlist, basketMarker: mergeMarkerKey(user, 'b', guest), wishlistMarker: mergeMarkerKey(user, 'w', guest) }
    }
    const guest = { basket: [{ variantId: 7, quantity: 2 }], wishlist: [{ productId: 3 }] }
    const options = { basket: mergeOptions, wishlist: { maxItems: 10, ttlMs: HOUR, markerTtlMs: HOUR } }
    expect(await store.mergeGuest(markers(both), guest, options)).toEqual({ basket: null, wishlist: null })
    expect(await store.mergeGuest(markers(basketOnly), guest, options)).toEqual({ basket: null, wishlist: 1 })
    expect(await store.readBasket(lists.basket)).toEqual([{ variantId: 7, quantity: 1 }])
    expect(await store.readWishlist(lists.wishlist)).toEqual([{ productId: 3 }])
  })

  it('lets a user\'s record end with its last marker when both lists are empty', async () => {
    const user = newUser()
    const lists = commerceKeys(user)
    const guest = { kind: 'guest', shopId: SHOP, sessionHash: `empty-${counter}` } as const
    await store.mergeGuest(
      { basket: lists.basket, wishlist: lists.wishlist, basketMarker: mergeMarkerKey(user, 'b', guest), wishlistMarker: mergeMarkerKey(user, 'w', guest) },
      { basket: [], wishlist: [] },
      { basket: { ...mergeOptions, markerTtlMs: 60_000 }, wishlist: { maxItems: 10, ttlMs: HOUR, markerTtlMs: 60_000 } },
    )
    const ttl = await raw.pttl(`${BASE}:${lists.basket.slice(0, -2)}:c`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })
})
