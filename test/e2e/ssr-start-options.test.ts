import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, setCookiePair } from '../helpers/cookies'
import { pageConfig, pagePayload } from '../helpers/payload'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// What a page render takes from the server's start rather than from the build: route rules that make a render shared
// (the engine skips its session), and the shop settings the environment overrides (the render and the browser pick
// the shop the engine picked).
let cached: FixtureServer
let byDomain: FixtureServer

beforeAll(async () => {
  [cached, byDomain] = await Promise.all([
    startFixtureServer('playground', { NUXT_NITRO_ROUTE_RULES: '{"/wishlist":{"swr":60}}' }),
    startFixtureServer('playground', {
      NUXT_STOREFRONT_SHOP_SELECTOR: 'domain',
      NUXT_STOREFRONT_DEFAULT_SHOP_ID: '1002',
      NUXT_STOREFRONT_TRUST_PROXY: 'true',
      NUXT_STOREFRONT_SHOPS_1001: '{"path":"/","domain":"shop.example"}',
    }),
  ])
})

afterAll(async () => {
  await Promise.all([cached?.stop(), byDomain?.stop()])
})

const ALICE = { email: 'alice@example.com', password: 'alice-secret-1' }
const basketCount = (html: string) => Number(/data-test="basket-count"[^>]*>(\d+)</.exec(html)?.[1])
// The shops whose state a render loaded, from the payload's `storefront-user:<shopId>` keys.
const statefulShops = (state: Record<string, unknown>) => Object.keys(state).flatMap(key => /^\$sstorefront-user:(.+)$/.exec(key)?.[1] ?? [])

describe('a page under a cache, swr or isr route rule', () => {
  it('renders without the shopper and leaves the state for the browser to load', async () => {
    const login = await cached.fetch('/api/rpc/login', postJson({ payload: ALICE }))
    expect(login.status).toBe(200)
    const cookie = setCookiePair(login, '$session-1001')!
    expect((await cached.fetch('/api/rpc/addItemToBasket', postJson({ payload: { variantId: 101, quantity: 2 } }, { cookie }))).status).toBe(200)

    // The same shopper on a page without the rule: loaded during SSR, as before.
    const own = await (await cached.fetch('/basket', { headers: { cookie } })).text()
    expect(pagePayload(own).state['$sstorefront-user:1001']).toMatchObject({ user: { firstName: 'Alice' }, isInitialized: true })

    const response = await cached.fetch('/wishlist', { headers: { cookie } })
    expect(response.status).toBe(200)
    expect(response.headers.getSetCookie()).toEqual([])
    const html = await response.text()
    expect(html).not.toContain('Alice')
    expect(basketCount(html)).toBe(0)
    const { state } = pagePayload(html)
    // Not a guest: unknown until the browser asks, and never loaded, so the browser loads it after hydration.
    expect(state['$sstorefront-user:1001'] ?? { user: null, isInitialized: false }).toEqual({ user: null, isInitialized: false, fromCache: false })
    expect(state['$sstorefront-loaded:1001'] ?? 0).toBe(0)
    expect(state['$sstorefront-basket:1001']?.loaded ?? false).toBe(false)
  })
})

describe('shop settings from the environment', () => {
  it('gives the page and the browser the selector, default shop and domains the server resolved at start', async () => {
    const html = await (await byDomain.fetch('/')).text()
    expect(pageConfig(html).public.storefront).toEqual({
      shops: { 1001: { path: '/', domain: 'shop.example' }, 1002: { path: '/de', domain: '' } },
      shopSelector: 'domain',
      defaultShopId: '1002',
    })
    // The render worked for the shop the server chose (the default, on this host), not the build's default.
    expect(statefulShops(pagePayload(html).state)).toEqual(['1002'])
  })

  it('shows a basket line the browser added for the page\'s shop', async () => {
    const page = pagePayload(await (await byDomain.fetch('/')).text())
    const [shopId] = statefulShops(page.state)
    // What useBasket().add sends from that page: x-shop-id of the shop the page shows.
    const added = await byDomain.fetch('/api/rpc/addItemToBasket', postJson({ payload: { variantId: 101, quantity: 3 } }, { 'x-shop-id': shopId! }))
    expect(added.status).toBe(200)
    const cookie = setCookiePair(added, `$session-${shopId}`)!
    expect(basketCount(await (await byDomain.fetch('/', { headers: { cookie } })).text())).toBe(3)
  })

  it('renders the shop of the forwarded host under trustProxy, as the server chooses it', async () => {
    const forwarded = { 'x-forwarded-host': 'shop.example' }
    const added = await byDomain.fetch('/api/rpc/addItemToBasket', postJson({ payload: { variantId: 102, quantity: 2 } }, forwarded))
    expect(added.status).toBe(200)
    const cookie = setCookiePair(added, '$session-1001')!
    expect(cookie).toBeDefined()
    const html = await (await byDomain.fetch('/', { headers: { ...forwarded, cookie } })).text()
    const { state } = pagePayload(html)
    expect(statefulShops(state)).toEqual(['1001'])
    expect(state['$sstorefront-basket:1001']).toEqual({ items: [expect.objectContaining({ variantId: 102, quantity: 2 })], loaded: true })
    expect(basketCount(html)).toBe(2)
  })

  it('warns at start when a shop\'s path from the environment has no pages in the build', async () => {
    const moved = await startFixtureServer('playground', { NUXT_STOREFRONT_SHOPS_1002: '{"path":"/at"}' })
    try {
      expect(moved.logs()).toContain('shop 1002 is served under /at but its pages were built under /de')
    }
    finally {
      await moved.stop()
    }
  })
})
