import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// The options-table variables that no other test sets, each set on a built server and checked over HTTP. (The
// storage variables are set by test/redis-ops, session.maxAge, absoluteMaxAge, refreshInterval, storeTimeout,
// maxSessionsPerUser, rpc.* and the secret by their own e2e tests.)
let redis: RedisProcess
let server: FixtureServer

beforeAll(async () => {
  redis = await startRedis()
  server = await startFixtureServer('basic', {
    NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
    NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url,
    NUXT_STOREFRONT_SHOP_SELECTOR: 'domain',
    NUXT_STOREFRONT_DEFAULT_SHOP_ID: '1002',
    NUXT_STOREFRONT_TRUST_PROXY: 'true',
    NUXT_STOREFRONT_SHOPS_1001: '{"path":"/","domain":"shop.example"}',
    NUXT_STOREFRONT_SESSION_COOKIE_NAME: 'sid-{shopId}',
    NUXT_STOREFRONT_SESSION_SAME_SITE: 'strict',
    NUXT_STOREFRONT_SESSION_SECURE: 'false',
    NUXT_STOREFRONT_SESSION_DOMAIN: 'shop.example',
    NUXT_STOREFRONT_SESSION_MAX_DATA_SIZE: '200',
    NUXT_STOREFRONT_COMMERCE_DATA_TTL: '1234',
    NUXT_STOREFRONT_COMMERCE_MAX_QUANTITY_PER_LINE: '3',
    NUXT_STOREFRONT_COMMERCE_MAX_WISHLIST_ITEMS: '1',
  })
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

const put = (value: unknown, headers: Record<string, string> = {}) => server.fetch('/api/session/put', {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ key: 'k', value }),
})

const rpc = (name: string, payload: unknown, cookie?: string) => server.fetch(`/api/rpc/${name}`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-shop-id': '1002', ...(cookie ? { cookie } : {}) },
  body: JSON.stringify({ payload }),
})

describe('options-table variables on a built server', () => {
  it('selects the shop by domain through X-Forwarded-Host, falls back to the default shop, and names and flags the cookie', async () => {
    const viaProxy = await put(1, { 'x-forwarded-host': 'shop.example' })
    expect(viaProxy.status).toBe(200)
    const cookie = viaProxy.headers.getSetCookie().join('\n')
    expect(cookie).toMatch(/^sid-1001=/)
    expect(cookie).toContain('Domain=shop.example')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).not.toMatch(/;\s*Secure/i)
    const fallback = await put(1)
    expect(fallback.headers.getSetCookie().join('\n')).toMatch(/^sid-1002=/)
  })

  it('refuses session data past maxDataSize with a 413', async () => {
    expect((await put('x'.repeat(300))).status).toBe(413)
  })

  it('applies the commerce limits and the data TTL', async () => {
    expect((await rpc('addItemToBasket', { variantId: 1, quantity: 5 })).status).toBe(400)
    const added = await rpc('addItemToBasket', { variantId: 1, quantity: 2 })
    expect(added.status).toBe(200)
    const cookie = added.headers.getSetCookie()[0]!.split(';')[0]!
    // updateItemInBasket is bound by the same limit as addItemToBasket.
    expect((await rpc('updateItemInBasket', { variantId: 1, quantity: 4 }, cookie)).status).toBe(400)
    expect(await (await rpc('updateItemInBasket', { variantId: 1, quantity: 3 }, cookie)).json()).toEqual({ items: [{ variantId: 1, quantity: 3 }] })
    expect(await (await rpc('updateItemInBasket', { variantId: 1, quantity: 2 }, cookie)).json()).toEqual({ items: [{ variantId: 1, quantity: 2 }] })
    expect((await rpc('addItemToWishlist', { productId: 1 }, cookie)).status).toBe(200)
    expect((await rpc('addItemToWishlist', { productId: 2 }, cookie)).status).toBe(400)
    const client = redis.client()
    try {
      // A guest's basket lives in the guest session's record (shop 1002: maxAge 3600 s), a user's commerce.dataTtl.
      expect(await client.keys('storefront:1002:{g:*}:b')).toEqual([])
      const records = await Promise.all((await client.keys('storefront:1002:{g:*}:s')).map(async key => [key, await client.get(key)] as const))
      const guestSession = records.find(([, record]) => record?.includes('\nb\n1:2'))?.[0]
      expect(guestSession).toBeDefined()
      const guestTtl = await client.pttl(guestSession!)
      expect(guestTtl).toBeGreaterThan(3_500_000)
      expect(guestTtl).toBeLessThanOrEqual(3_600_000)
      const login = await rpc('loginAs', { userId: 'env-user' }, cookie)
      expect(login.status).toBe(200)
      const userCookie = login.headers.getSetCookie().find(header => header.startsWith('sid-1002='))!.split(';')[0]!
      expect((await rpc('addItemToBasket', { variantId: 2, quantity: 1 }, userCookie)).status).toBe(200)
      const ttl = await client.pttl('storefront:1002:{u:env-user}:c')
      expect(ttl).toBeGreaterThan(1_200_000)
      expect(ttl).toBeLessThanOrEqual(1_234_000)
    }
    finally {
      client.disconnect()
    }
  })
})

// Regression: updateItemInBasket had a bound of its own (999), so a shop that sells by the thousand could add 1,500
// units but not set a line to 1,500.
describe('a per-line limit above the default', () => {
  let large: FixtureServer
  beforeAll(async () => {
    large = await startFixtureServer('basic', {
      NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
      NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url,
      NUXT_STOREFRONT_COMMERCE_MAX_QUANTITY_PER_LINE: '5000',
    })
  })
  afterAll(async () => {
    await large?.stop()
  })

  it('lets addItemToBasket and updateItemInBasket both go up to NUXT_STOREFRONT_COMMERCE_MAX_QUANTITY_PER_LINE, and no further', async () => {
    const call = (name: string, payload: unknown, cookie?: string) => large.fetch(`/api/rpc/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ payload }),
    })
    const added = await call('addItemToBasket', { variantId: 7, quantity: 1500 })
    expect(await added.clone().json()).toEqual({ items: [{ variantId: 7, quantity: 1500 }] })
    const cookie = added.headers.getSetCookie()[0]!.split(';')[0]!
    expect(await (await call('updateItemInBasket', { variantId: 7, quantity: 1500 }, cookie)).json()).toEqual({ items: [{ variantId: 7, quantity: 1500 }] })
    expect(await (await call('updateItemInBasket', { variantId: 7, quantity: 5000 }, cookie)).json()).toEqual({ items: [{ variantId: 7, quantity: 5000 }] })
    expect((await call('updateItemInBasket', { variantId: 7, quantity: 5001 }, cookie)).status).toBe(400)
    expect((await call('addItemToBasket', { variantId: 8, quantity: 5001 }, cookie)).status).toBe(400)
    expect((await (await call('getBasket', {}, cookie)).json()).items).toEqual([{ variantId: 7, quantity: 5000 }])
  })
})
