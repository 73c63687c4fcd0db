import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, setCookiePair } from '../helpers/cookies'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// The built playground over HTTP: pages served under each path shop's prefix, and HTML forms without JavaScript.
let redis: RedisProcess
let server: FixtureServer
const html = { accept: 'text/html' }

beforeAll(async () => {
  redis = await startRedis()
  server = await startFixtureServer('playground', { REDIS_URL: redis.url })
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

async function keyCount() {
  const client = redis.client()
  try {
    return await client.dbsize()
  }
  finally {
    client.disconnect()
  }
}

// Redirects a browser would take to another site, or that Node cannot put into a Location header.
const HOSTILE_REDIRECTS = [
  '/\t/evil.example/phish',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/\n',
  '//evil.example',
  '/\\evil.example',
  '/\\/evil.example',
  '\\\\evil.example',
  '/..//evil.example',
  'https://evil.example/phish',
  'javascript:alert(1)',
  '/\u00A0/evil.example',
]

/** Posts a form as a browser on this site does. */
function postForm(path: string, fields: Record<string, string>, options: { from?: string | null, cookie?: string, site?: string } = {}) {
  return server.fetch(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': options.site ?? 'same-origin',
      // null: no Referer (a page with `Referrer-Policy: no-referrer`).
      ...(options.from === null ? {} : { referer: `${server.url}${options.from ?? '/'}` }),
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  })
}

describe('pages under each path shop\'s prefix', () => {
  it('serves every page under /de as well, with no alias in the pages, and says a few words in German there', async () => {
    for (const path of ['/de', '/de/login', '/de/basket', '/de/wishlist', '/de/p/3']) {
      const response = await server.fetch(path, { headers: html })
      expect(response.status, path).toBe(200)
      const body = await response.text()
      expect(body, path).toContain('lang="de"')
      expect(body, path).toContain('Warenkorb')
    }
    expect(await (await server.fetch('/de', { headers: html })).text()).toContain('Alle Produkte')
    expect(await (await server.fetch('/', { headers: html })).text()).toContain('All products')
  })

  it('protects /de/account with the shop 1002 login', async () => {
    const response = await server.fetch('/de/account', { headers: html })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/de/login?redirect=/de/account')
  })

  it('keeps a page that opts out (definePageMeta({ storefront: { prefix: false } })) at its own path only', async () => {
    expect((await server.fetch('/imprint', { headers: html })).status).toBe(200)
    expect((await server.fetch('/de/imprint', { headers: html })).status).toBe(404)
  })

  it('draws every product of the catalog with a picture of its own', async () => {
    const body = await (await server.fetch('/', { headers: html })).text()
    const pictures = [...body.matchAll(/<svg class="product-image"[\s\S]*?<\/svg>/g)].map(([svg]) => svg
      // Colours, the pattern's id and the initials differ anyway: the drawing itself (outline, pattern) must differ.
      .replace(/pattern-\d+/g, 'pattern').replace(/hsl\([^)]*\)/g, 'colour').replace(/<text[\s\S]*?<\/text>/, '').replace(/aria-label="[^"]*"/, ''))
    expect(pictures).toHaveLength(50)
    expect(new Set(pictures).size).toBe(50)
  })

  it('answers a page asked for with an unknown x-shop-id with a 400 problem, as every other route, whatever its Accept', async () => {
    for (const headers of [html, { accept: '*/*' }, { accept: 'application/json' }, {}]) {
      for (const path of ['/', '/basket', '/de/p/1']) {
        const page = await server.fetch(path, { headers: { ...headers, 'x-shop-id': '9999' } })
        expect(page.status, `${path} ${JSON.stringify(headers)}`).toBe(400)
        expect(page.headers.get('content-type')).toContain('application/problem+json')
        expect(await page.json()).toMatchObject({ status: 400, detail: 'unknown shop "9999" in x-shop-id' })
      }
    }
  })

  it('answers a missing page with a 404 that keeps the shop\'s layout and language', async () => {
    const de = await server.fetch('/de/no-such-page', { headers: html })
    expect(de.status).toBe(404)
    const body = await de.text()
    expect(body).toContain('data-test="basket-count"')
    expect(body).toContain('Diese Seite gibt es nicht')
    const en = await server.fetch('/no-such-page', { headers: html })
    expect(en.status).toBe(404)
    expect(await en.text()).toContain('This page does not exist')
  })

  it('shows a logged-in shopper as signed in on a missing page of each path shop, with the basket count', async () => {
    for (const [shopId, prefix] of [['1001', ''], ['1002', '/de']] as const) {
      const shop = { 'x-shop-id': shopId }
      const login = await server.fetch('/api/rpc/login', postJson({ payload: { email: 'bob@example.com', password: 'bob-secret-1' } }, shop))
      const cookie = setCookiePair(login, `$session-${shopId}`)!
      expect((await server.fetch('/api/rpc/addItemToBasket', postJson({ payload: { variantId: 101, quantity: 2 } }, { ...shop, cookie }))).status).toBe(200)
      // Nuxt renders the error page in a second, in-process request: it reads the session of the page's own shop.
      const page = await server.fetch(`${prefix}/no-such-page`, { headers: { ...html, cookie } })
      expect(page.status).toBe(404)
      expect(page.headers.get('cache-control')).toContain('no-store')
      const body = await page.text()
      expect(body, `shop ${shopId}`).toMatch(/data-test="account-link"[^>]*>\s*Bob\s*</)
      expect(body).not.toContain('data-test="login-link"')
      expect(body).toMatch(/data-test="basket-count"[^>]*>2</)
    }
    // Asked for from outside, Nuxt's error-render path is no way into a session: a 404, with no shopper in it.
    const login = await server.fetch('/api/rpc/login', postJson({ payload: { email: 'bob@example.com', password: 'bob-secret-1' } }))
    const outside = await server.fetch('/__nuxt_error?url=/account&statusCode=404', { headers: { ...html, cookie: setCookiePair(login, '$session-1001')! } })
    expect(outside.status).toBe(404)
    expect(await outside.text()).not.toContain('Bob')
  })

  it('sends a logged-in shopper from the login page on (storefront-guest)', async () => {
    const login = await server.fetch('/api/rpc/login', postJson({ payload: { email: 'bob@example.com', password: 'bob-secret-1' } }))
    const cookie = setCookiePair(login, '$session-1001')!
    const page = await server.fetch('/login?redirect=/basket', { headers: { ...html, cookie } })
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/basket')
    const home = await server.fetch('/login', { headers: { ...html, cookie } })
    expect(home.headers.get('location')).toBe('/')
    // Shop 1002 has its own login: Bob is a guest there.
    expect((await server.fetch('/de/login', { headers: { ...html, cookie } })).status).toBe(200)
  })

  it('sends a logged-in shopper only to a path of this site, never a 5xx, whatever ?redirect says', async () => {
    const login = await server.fetch('/api/rpc/login', postJson({ payload: { email: 'bob@example.com', password: 'bob-secret-1' } }))
    const cookie = setCookiePair(login, '$session-1001')!
    for (const redirect of HOSTILE_REDIRECTS) {
      const page = await server.fetch(`/login?redirect=${encodeURIComponent(redirect)}`, { headers: { ...html, cookie } })
      expect(page.status, JSON.stringify(redirect)).toBe(302)
      expect(page.headers.get('location'), JSON.stringify(redirect)).toBe('/')
    }
    const encoded = await server.fetch(`/login?redirect=${encodeURIComponent('/p/日本')}`, { headers: { ...html, cookie } })
    expect(encoded.status).toBe(302)
    expect(encoded.headers.get('location')).toBe('/p/%E6%97%A5%E6%9C%AC')
  })

  it('puts only a path of this site into the login form\'s redirect field', async () => {
    for (const redirect of HOSTILE_REDIRECTS) {
      const page = await server.fetch(`/login?redirect=${encodeURIComponent(redirect)}`, { headers: html })
      expect(page.status, JSON.stringify(redirect)).toBe(200)
      expect(await page.text(), JSON.stringify(redirect)).toMatch(/<input type="hidden" name="redirect" value="\/account">/)
    }
  })
})

describe('forms without JavaScript', () => {
  it('logs in with a POST that redirects back; the password never reaches a URL', async () => {
    const response = await postForm('/api/form/login', { email: 'alice@example.com', password: 'alice-secret-1', redirect: '/account' }, { from: '/login' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account')
    const cookie = setCookiePair(response, '$session-1001')!
    const account = await server.fetch('/account', { headers: { ...html, cookie } })
    expect(account.status).toBe(200)
    expect(await account.text()).toContain('data-test="account-name">Alice<')
  })

  it('sends a failed login back with ?error=401 only, and saves nothing', async () => {
    const before = await keyCount()
    const response = await postForm('/api/form/login', { email: 'alice@example.com', password: 'wrong-password' }, { from: '/login?redirect=%2Faccount' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login?redirect=%2Faccount&error=401')
    expect(response.headers.get('location')).not.toContain('wrong-password')
    expect(response.headers.getSetCookie()).toEqual([])
    expect(await keyCount()).toBe(before)
    expect(await (await server.fetch('/login?error=401', { headers: html })).text()).toContain('Wrong email or password.')
  })

  it('adds to the basket from the product page form, and a refused variant goes back with ?error=404, stored nowhere', async () => {
    const before = await keyCount()
    const refused = await postForm('/api/form/addItemToBasket', { 'variantId:number': '999999', 'quantity:number': '1', 'redirect': '/p/3?added=1' }, { from: '/p/3' })
    expect(refused.status).toBe(303)
    expect(refused.headers.get('location')).toBe('/p/3?error=404')
    expect(refused.headers.getSetCookie()).toEqual([])
    expect(await keyCount()).toBe(before)

    const added = await postForm('/api/form/addItemToBasket', { 'variantId:number': '301', 'quantity:number': '2', 'redirect': '/p/3?added=1' }, { from: '/p/3' })
    expect(added.status).toBe(303)
    expect(added.headers.get('location')).toBe('/p/3?added=1')
    const cookie = setCookiePair(added, '$session-1001')!
    const page = await (await server.fetch('/p/3?added=1', { headers: { ...html, cookie } })).text()
    expect(page).toContain('data-test="added"')
    expect(page).toMatch(/data-test="basket-count"[^>]*>2</)
  })

  it('takes a form posted on a /de page for shop 1002: the sign-in and the basket are the /de shop\'s', async () => {
    const login = await postForm('/api/form/login', { email: 'alice@example.com', password: 'alice-secret-1', redirect: '/de/account' }, { from: '/de/login?redirect=%2Fde%2Faccount' })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/de/account')
    expect(setCookiePair(login, '$session-1001')).toBeUndefined()
    const cookie = setCookiePair(login, '$session-1002')!
    const account = await server.fetch('/de/account', { headers: { ...html, cookie } })
    expect(account.status).toBe(200)
    expect(await account.text()).toContain('Alice')
    // From a /de product page, and with no Referer at all (the form's redirect names the shop then).
    for (const from of ['/de/p/3', null]) {
      const added = await postForm('/api/form/addItemToBasket', { 'variantId:number': '301', 'quantity:number': '1', 'redirect': '/de/p/3?added=1' }, { from, cookie })
      expect(added.status).toBe(303)
      expect(added.headers.get('location')).toBe('/de/p/3?added=1')
    }
    const basket = await server.fetch('/api/rpc/getBasket', postJson({}, { 'x-shop-id': '1002', cookie }))
    expect((await basket.json()).items).toEqual([{ variantId: 301, quantity: 2 }])
  })

  it('sends a malformed or oversized form back with ?error=400 or 413, before the page\'s fragment and in place of an earlier error', async () => {
    const before = await keyCount()
    const malformed = await postForm('/api/form/addItemToWishlist', { 'productId:number': 'abc', 'redirect': '/wishlist?x=1#top' }, { from: null })
    expect(malformed.status).toBe(303)
    expect(malformed.headers.get('location')).toBe('/wishlist?x=1&error=400#top')
    const oversized = await postForm('/api/form/addItemToWishlist', { 'productId:number': '1', 'note': 'x'.repeat(200_000) }, { from: '/p/3?error=404' })
    expect(oversized.status).toBe(303)
    expect(oversized.headers.get('location')).toBe('/p/3?error=413')
    const refused = await postForm('/api/form/login', { email: 'alice@example.com', password: 'wrong-password', redirect: '/account?error=200' }, { from: null })
    expect(refused.headers.get('location')).toBe('/account?error=401')
    expect(await keyCount()).toBe(before)
  })

  it('takes a `:number` field only as a decimal: hex, exponents, Infinity and 400 digits go back with ?error=400', async () => {
    const before = await keyCount()
    for (const value of ['0x65', '1e2', '0b11', 'Infinity', '-Infinity', 'NaN', '', ' ', '1_000', '1,5', '9'.repeat(400), '١٠١']) {
      const refused = await postForm('/api/form/addItemToBasket', { 'variantId:number': value, 'quantity:number': '1', 'redirect': '/p/1' }, { from: null })
      expect(refused.status, JSON.stringify(value)).toBe(303)
      expect(refused.headers.get('location'), JSON.stringify(value)).toBe('/p/1?error=400')
    }
    expect(await keyCount()).toBe(before)
    // A decimal as a browser's number input sends it, with spaces around, is taken.
    const added = await postForm('/api/form/addItemToBasket', { 'variantId:number': ' 101 ', 'quantity:number': '2.0', 'redirect': '/p/1' }, { from: null })
    expect(added.headers.get('location')).toBe('/p/1')
  })

  it('sends a login back only to a path of this site, never a 5xx, whatever the redirect field says', async () => {
    for (const redirect of HOSTILE_REDIRECTS) {
      const response = await postForm('/api/form/login', { email: 'alice@example.com', password: 'alice-secret-1', redirect }, { from: '/login' })
      expect(response.status, JSON.stringify(redirect)).toBe(303)
      expect(response.headers.get('location'), JSON.stringify(redirect)).toBe('/login')
    }
    const encoded = await postForm('/api/form/login', { email: 'alice@example.com', password: 'alice-secret-1', redirect: '/p/日本?q=ü' }, { from: '/login' })
    expect(encoded.status).toBe(303)
    expect(encoded.headers.get('location')).toBe('/p/%E6%97%A5%E6%9C%AC?q=%C3%BC')
  })

  it('sends a failed post back to a same-origin referer only when it is a path of this site', async () => {
    const response = await postForm('/api/form/login', { email: 'alice@example.com', password: 'wrong-password' }, { from: '//evil.example/login' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/?error=401')
  })

  // The README's caching rule: an answer that sets or clears the session cookie is `private, no-store`.
  it('marks every redirect that sets or clears the session cookie private, no-store', async () => {
    const login = await postForm('/api/form/login', { email: 'alice@example.com', password: 'alice-secret-1', redirect: '/account' }, { from: '/login' })
    const cookie = setCookiePair(login, '$session-1001')!
    const added = await postForm('/api/form/addItemToBasket', { 'variantId:number': '301', 'quantity:number': '1' }, { from: '/p/3' })
    const guest = setCookiePair(added, '$session-1001')!
    const refused = await postForm('/api/form/addItemToBasket', { 'variantId:number': '999999', 'quantity:number': '1' }, { from: '/p/3', cookie: guest })
    const logout = await postForm('/api/form/logout', {}, { from: '/account', cookie })
    for (const [name, response] of Object.entries({ login, added, refused, logout })) {
      expect(response.status, name).toBe(303)
      expect(response.headers.get('cache-control'), name).toBe('private, no-store')
    }
    expect(logout.headers.getSetCookie().some(header => header.startsWith('$session-1001=;') || /^\$session-1001=[^;]*;.*max-age=0/i.test(header)), 'logout clears the cookie').toBe(true)
  })

  it('refuses cross-site posts, methods without `form: true`, other content types and GET', async () => {
    const crossSite = await postForm('/api/form/logout', {}, { site: 'cross-site' })
    expect(crossSite.status).toBe(403)
    expect(crossSite.headers.get('content-type')).toContain('application/problem+json')
    const noFetchMetadata = await server.fetch('/api/form/logout', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'origin': 'https://evil.example' }, body: '' })
    expect(noFetchMetadata.status).toBe(403)
    expect((await postForm('/api/form/getUser', {})).status).toBe(404)
    expect((await postForm('/api/form/updateUser', { firstName: 'X' })).status).toBe(404)
    expect((await server.fetch('/api/form/logout', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, body: '{}' })).status).toBe(415)
    expect((await server.fetch('/api/form/logout')).status).toBe(405)
    // A field that is no number goes back to the page like any other failure.
    expect((await postForm('/api/form/addItemToBasket', { 'variantId:number': 'abc', 'quantity:number': '1' })).headers.get('location')).toBe('/?error=400')
  })
})
