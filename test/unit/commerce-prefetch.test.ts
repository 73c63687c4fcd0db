import type { H3Event } from 'h3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDefaultAdapters, prefetchLists } from '../../src/runtime/server/commerce/adapters'
import { commerceKeys, sessionKeys, type CommerceStore, type SessionStore } from '../../src/runtime/server/store'
import { createGuestId, hashSessionId, parseSessionId } from '../../src/runtime/server/session/id'
import type { CommerceAdapterContext, CommerceLimits, CommerceOwner, StorefrontCommerceAdapters } from '../../src/runtime/types/commerce'
import type { RedisProcess } from '../helpers/redis'
import { startCommerceRedis, type CommerceRedis } from '../helpers/commerce-redis'
import { monitorCommands } from '../helpers/redis-monitor'

// A page's basket and wishlist read with its user session (the session plugin starts it in the tick the session's
// MGET is sent, so both go out in one round trip): the request's list reads take it, a list write drops it.

const SHOP = '1001'
const HOUR = 3_600_000
const limits: CommerceLimits = { maxQuantityPerLine: 9, maxBasketLines: 50, maxWishlistItems: 50, mergePolicy: 'sum', dataTtlMs: HOUR, guestTtlMs: HOUR }
let counter = 0

describe('lists read with a page\'s session', () => {
  let started: CommerceRedis
  let redis: RedisProcess
  let store: CommerceStore
  let adapters: StorefrontCommerceAdapters
  let sessions: SessionStore

  beforeAll(async () => {
    started = await startCommerceRedis('sf-prefetch')
    ;({ redis, store, sessions } = started)
    adapters = createDefaultAdapters(async () => store)
  }, 60_000)
  afterAll(async () => {
    await started?.dispose()
  })

  const newUser = (): CommerceOwner & { kind: 'user' } => ({ kind: 'user', shopId: SHOP, userId: `u${++counter}` })
  const request = (): CommerceAdapterContext & { event: H3Event } => ({ event: { context: {} } as H3Event, limits })

  async function userWithLists() {
    const owner = newUser()
    const setup = request()
    await adapters.basket.add(owner, { variantId: 101, quantity: 2 }, setup)
    await adapters.basket.add(owner, { variantId: 202, quantity: 1 }, setup)
    await adapters.wishlist.add(owner, { productId: 7 }, setup)
    return owner
  }

  it('reads both lists in one script, and the request\'s basket and wishlist reads send nothing more', async () => {
    const owner = await userWithLists()
    const context = request()
    let basket: unknown, wishlist: unknown
    const commands = await monitorCommands(redis, async () => {
      prefetchLists(adapters, store, context.event, owner)
      ;[basket, wishlist] = await Promise.all([adapters.basket.get(owner, context), adapters.wishlist.get(owner, context)])
      // A second render of the same lists in the request takes them too.
      await adapters.basket.get(owner, context)
    })
    expect(basket).toEqual([{ variantId: 101, quantity: 2 }, { variantId: 202, quantity: 1 }])
    expect(wishlist).toEqual([{ productId: 7 }])
    expect(commands.map(c => c.name === 'evalsha' ? 'eval' : c.name)).toEqual(['eval'])
    expect(commands[0]!.args).toContain(`sf-prefetch:${commerceKeys(owner).basket.slice(0, -2)}:c`)
  })

  it('reads a guest\'s lists out of its session record the same way', async () => {
    const id = createGuestId()
    const now = Date.now()
    expect(await sessions.create(sessionKeys(SHOP, parseSessionId(id)!), { m: JSON.stringify({ c: now, s: now, e: now + HOUR, ua: '' }) }, { ttlMs: HOUR, expiresAt: now + HOUR })).toBe(true)
    const guest: CommerceOwner = { kind: 'guest', shopId: SHOP, sessionHash: hashSessionId(id) }
    await adapters.basket.add(guest, { variantId: 5, quantity: 3 }, request())
    await adapters.wishlist.add(guest, { productId: 9 }, request())
    const context = request()
    let lists: unknown
    const commands = await monitorCommands(redis, async () => {
      prefetchLists(adapters, store, context.event, guest)
      lists = await Promise.all([adapters.basket.get(guest, context), adapters.wishlist.get(guest, context)])
    })
    expect(lists).toEqual([[{ variantId: 5, quantity: 3 }], [{ productId: 9 }]])
    expect(commands.map(c => c.name === 'evalsha' ? 'eval' : c.name)).toEqual(['eval'])
    expect(commands[0]!.args).toContain(`sf-prefetch:${commerceKeys(guest).basket.slice(0, -2)}:s`)
  })

  it('drops the lists once the request writes either of them: a read after the write sees it', async () => {
    const owner = await userWithLists()
    const context = request()
    prefetchLists(adapters, store, context.event, owner)
    await adapters.basket.add(owner, { variantId: 303, quantity: 4 }, context)
    expect(context.event.context.storefront?.lists).toBeUndefined()
    expect((await adapters.basket.get(owner, context)).map(line => line.variantId)).toEqual([101, 202, 303])

    prefetchLists(adapters, store, context.event, owner)
    await adapters.wishlist.remove(owner, 7, context)
    expect(await adapters.wishlist.get(owner, context)).toEqual([])

    prefetchLists(adapters, store, context.event, owner)
    await adapters.basket.clear(owner, context)
    expect(await adapters.basket.get(owner, context)).toEqual([])
  })

  it('is not taken for another owner\'s lists', async () => {
    const [owner, other] = [await userWithLists(), await userWithLists()]
    await adapters.basket.add(other, { variantId: 999, quantity: 1 }, request())
    const context = request()
    prefetchLists(adapters, store, context.event, owner)
    expect((await adapters.basket.get(other, context)).map(line => line.variantId)).toEqual([101, 202, 999])
  })

  it('reads nothing ahead for adapters of the app\'s own, or a store that reads the lists one by one', async () => {
    const owner = await userWithLists()
    const own = { ...adapters, basket: { ...adapters.basket, get: async () => [] } }
    const stores = [store, { ...store, readLists: undefined }]
    const commands = await monitorCommands(redis, async () => {
      const context = request()
      prefetchLists(own, stores[0], context.event, owner)
      prefetchLists(adapters, stores[1], context.event, owner)
      prefetchLists(undefined, stores[0], context.event, owner)
      expect(context.event.context.storefront?.lists).toBeUndefined()
    })
    expect(commands).toEqual([])
  })

  it('fails the reads that take a failed read, with no unhandled rejection', async () => {
    const owner = newUser()
    const context = request()
    const failing: CommerceStore = { ...store, readLists: () => Promise.reject(new Error('store out')) }
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      // A page whose session read failed too answers 503 and never takes the lists.
      prefetchLists(adapters, failing, context.event, owner)
      // Give a rejection that nothing handled the turn it takes to be reported.
      await new Promise(resolve => setImmediate(resolve))
      await expect(adapters.wishlist.get(owner, context)).rejects.toThrow('store out')
    }
    finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
  })

  it('leaves the reads to the store when the store throws instead of rejecting', async () => {
    const owner = await userWithLists()
    const context = request()
    const throwing: CommerceStore = { ...store, readLists: () => {
      throw new Error('not connected')
    } }
    expect(() => prefetchLists(adapters, throwing, context.event, owner)).not.toThrow()
    expect(context.event.context.storefront?.lists).toBeUndefined()
    expect(await adapters.wishlist.get(owner, context)).toEqual([{ productId: 7 }])
  })
})
