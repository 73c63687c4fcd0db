import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, setCookiePair } from '../helpers/cookies'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import { monitorCommands } from '../helpers/redis-monitor'
import { pagePayload } from '../helpers/payload'
import { startRoundTripProxy } from '../helpers/redis-proxy'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// Server-side rendering of the playground on Redis: what a page render costs, and what a shared cache may keep.
let redis: RedisProcess
let server: FixtureServer

beforeAll(async () => {
  redis = await startRedis()
  server = await startFixtureServer('playground', { REDIS_URL: redis.url })
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

const isSessionKey = (key: string) => /:\{[gu]:[^}]+\}:s(?::|$)/.test(key)

async function guestCookie() {
  const response = await server.fetch('/api/rpc/addItemToBasket', postJson({ payload: { variantId: 101, quantity: 1 } }))
  expect(response.status).toBe(200)
  return setCookiePair(response, '$session-1001')!
}

// A script runs as EVALSHA once Redis holds it, as EVAL the first time.
const scriptCall = (name: string) => name === 'evalsha' ? 'eval' : name

describe('page renders', () => {
  it('renders anonymous pages with no store command, no cookie, and cache headers a CDN may use', async () => {
    let response!: Response
    const commands = await monitorCommands(redis, async () => {
      response = await server.fetch('/p/3')
    })
    expect(response.status).toBe(200)
    expect(commands).toEqual([])
    expect(response.headers.getSetCookie()).toEqual([])
    expect(response.headers.get('cache-control') ?? '').not.toContain('private')
    expect(response.headers.get('vary') ?? '').toMatch(/cookie/i)
    expect(response.headers.get('vary') ?? '').toMatch(/x-shop-id/i)
  })

  // Regression: `GET / -H 'x-shop-id: 1002'` rendered shop 1002's page with only `Vary: Cookie`, so a cache that keys
  // by URL kept the German shop's page for everyone who asked for `/`.
  it('never lets a shared cache keep a page whose shop the request chose with x-shop-id', async () => {
    for (const [path, shopId] of [['/', '1002'], ['/p/3', '1002'], ['/de/p/3', '1001'], ['/', '1001']]) {
      const response = await server.fetch(path!, { headers: { 'accept': 'text/html', 'x-shop-id': shopId! } })
      expect(response.status, `${path} ${shopId}`).toBe(200)
      expect(response.headers.get('cache-control'), `${path} ${shopId}`).toBe('private, no-store')
      expect(response.headers.getSetCookie()).toEqual([])
    }
  })

  it('loads the session once per page render although the page makes several RPC calls, and marks it private', async () => {
    const cookie = await guestCookie()
    let response!: Response
    const commands = await monitorCommands(redis, async () => {
      response = await server.fetch('/basket', { headers: { cookie } })
    })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toContain('data-test="line-101"')
    const sessionReads = commands.filter(c => c.name === 'get' && isSessionKey(c.args[0]!))
    expect(sessionReads).toHaveLength(1)
    // getUser, getBasket and getWishlist ran during the render: one script reads both lists, nothing written.
    expect(commands.map(c => scriptCall(c.name)).sort()).toEqual(['eval', 'get'])
    expect(response.headers.get('cache-control')).toBe('private, no-store')
  })

  it('marks a logged-in render private and shows the user', async () => {
    const login = await server.fetch('/api/rpc/login', postJson({ payload: { email: 'bob@example.com', password: 'bob-secret-1' } }))
    const cookie = setCookiePair(login, '$session-1001')!
    const response = await server.fetch('/account', { headers: { cookie } })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('private, no-store')
    expect(await response.text()).toContain('Hello, <span data-test="account-name">Bob</span>')
  })

  // A missing page rendered for a logged-in shopper shows the shopper (the header's name and basket count): an error
  // status does not make it shareable.
  it('marks a logged-in shopper\'s 404 page private', async () => {
    const login = await server.fetch('/api/rpc/login', postJson({ payload: { email: 'bob@example.com', password: 'bob-secret-1' } }))
    const cookie = setCookiePair(login, '$session-1001')!
    const response = await server.fetch('/no-such-page', { headers: { cookie, accept: 'text/html' } })
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('Bob')
    expect(response.headers.get('cache-control')).toBe('private, no-store')
  })

  it('renders a guest\'s and a logged-in shopper\'s page with basket and wishlist counts from one session read in one round trip, and hydrates them', async () => {
    const proxy = await startRoundTripProxy(redis.port)
    const counted = await startFixtureServer('playground', { REDIS_URL: proxy.url })
    try {
      const login = await counted.fetch('/api/rpc/login', postJson({ payload: { email: 'alice@example.com', password: 'alice-secret-1' } }))
      const cookie = setCookiePair(login, '$session-1001')!
      const headers = { 'content-type': 'application/json', cookie }
      await counted.fetch('/api/rpc/addItemToBasket', { method: 'POST', headers, body: JSON.stringify({ payload: { variantId: 4801, quantity: 3 } }) })
      await counted.fetch('/api/rpc/addItemToWishlist', { method: 'POST', headers, body: JSON.stringify({ payload: { productId: 48 } }) })
      await counted.fetch('/wishlist', { headers: { cookie } })
      // A browser's navigation (the session loads before the render) and a fetch with any Accept (it loads as the
      // render starts) alike.
      for (const accept of ['text/html,application/xhtml+xml,*/*;q=0.8', '*/*']) {
        let response!: Response
        proxy.reset()
        const commands = await monitorCommands(redis, async () => {
          response = await counted.fetch('/wishlist', { headers: { cookie, accept } })
        })
        const roundTrips = proxy.roundTrips()
        const html = await response.text()
        expect(response.status).toBe(200)
        expect(html).toMatch(/data-test="basket-count"[^>]*>\d+</)
        expect(Number(/data-test="basket-count"[^>]*>(\d+)</.exec(html)![1])).toBeGreaterThanOrEqual(3)
        expect(html).toMatch(/data-test="wishlist-count"[^>]*>[1-9]\d*</)
        // A logged-in session read is one MGET of the session and the user's record.
        expect(commands.filter(c => c.name === 'mget' && isSessionKey(c.args[0]!))).toHaveLength(1)
        // With it goes one script that reads both lists, which live in one record: the same round trip.
        expect(commands.map(c => scriptCall(c.name)).sort()).toEqual(['eval', 'mget'])
        expect(roundTrips, accept).toBe(1)
        // The lists travel in the payload, so the browser does not fetch them again.
        expect(html).toContain('storefront-basket:1001')
        expect(html).toContain('storefront-wishlist:1001')
      }
      // A guest's page: the GET of its session record, which holds its lists, and the lists' script together.
      const guest = await counted.fetch('/api/rpc/addItemToBasket', postJson({ payload: { variantId: 101, quantity: 2 } }))
      const guestCookie = setCookiePair(guest, '$session-1001')!
      await counted.fetch('/wishlist', { headers: { cookie: guestCookie, accept: 'text/html' } })
      proxy.reset()
      let guestPage!: Response
      const guestCommands = await monitorCommands(redis, async () => {
        guestPage = await counted.fetch('/wishlist', { headers: { cookie: guestCookie, accept: 'text/html' } })
      })
      expect(proxy.roundTrips()).toBe(1)
      expect(guestCommands.map(c => scriptCall(c.name)).sort()).toEqual(['eval', 'get'])
      expect(await guestPage.text()).toMatch(/data-test="basket-count"[^>]*>2</)
      // A basket changed between two pages shows on the next one.
      await counted.fetch('/api/rpc/addItemToBasket', { method: 'POST', headers, body: JSON.stringify({ payload: { variantId: 4801, quantity: 1 } }) })
      const basket = await (await counted.fetch('/api/rpc/getBasket', { method: 'POST', headers, body: '{}' })).json() as { items: { quantity: number }[] }
      const units = basket.items.reduce((sum, line) => sum + line.quantity, 0)
      const next = await (await counted.fetch('/wishlist', { headers: { cookie, accept: 'text/html' } })).text()
      expect(Number(/data-test="basket-count"[^>]*>(\d+)</.exec(next)![1])).toBe(units)
    }
    finally {
      await counted.stop()
      await proxy.close()
    }
  })

  // An app whose storefront:commerce hook replaces the basket's read: its page shows what that read answers, so
  // nothing is read ahead with the session and the lists go out after it.
  it('reads nothing ahead for an app\'s own basket read: the page shows that read\'s lines', async () => {
    const proxy = await startRoundTripProxy(redis.port)
    const own = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: proxy.url, STOREFRONT_TEST_OWN_BASKET_GET: '1' })
    try {
      const login = await own.fetch('/api/rpc/loginAs', postJson({ payload: { userId: 'own-read' } }))
      const cookie = setCookiePair(login, '$session-1001')!
      const headers = { 'content-type': 'application/json', cookie }
      await own.fetch('/api/rpc/addItemToBasket', { method: 'POST', headers, body: JSON.stringify({ payload: { variantId: 301, quantity: 2 } }) })
      await own.fetch('/', { headers: { cookie, accept: 'text/html' } })
      proxy.reset()
      let response!: Response
      const commands = await monitorCommands(redis, async () => {
        response = await own.fetch('/', { headers: { cookie, accept: 'text/html' } })
      })
      const html = await response.text()
      expect(response.status).toBe(200)
      // The payload holds the app's read: the stored line and the app's own.
      expect(pagePayload(html).state['$sstorefront-basket:1001'].items).toEqual([{ variantId: 301, quantity: 2 }, { variantId: 9999, quantity: 1 }])
      expect(commands.map(c => scriptCall(c.name)).sort()).toEqual(['eval', 'mget'])
      expect(proxy.roundTrips()).toBe(2)
    }
    finally {
      await own.stop()
      await proxy.close()
    }
  })

  it('redirects a guest from a protected page to login during SSR', async () => {
    const response = await server.fetch('/account')
    expect([301, 302, 307]).toContain(response.status)
    expect(response.headers.get('location')).toBe('/login?redirect=/account')
  })
})
