import type { Browser, BrowserContext, Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hydrated, launchChromium, watchedPage } from '../helpers/browser'
import type { PageProblems } from '../helpers/browser'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// The playground in Chromium: path shops that route, the middleware on the target's shop, SSR-loaded basket and
// wishlist, tabs in step, and forms with JavaScript switched off.
let server: FixtureServer
let browser: Browser
const contexts: BrowserContext[] = []
const problems: PageProblems = { list: [] }

beforeAll(async () => {
  server = await startFixtureServer('playground')
  browser = await launchChromium()
})

afterAll(async () => {
  await Promise.all(contexts.map(context => context.close()))
  await browser?.close()
  await server?.stop()
})

async function newContext(options: { javaScriptEnabled?: boolean } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url, ...options })
  contexts.push(context)
  return context
}

async function open(context: BrowserContext, path: string): Promise<Page> {
  const page = await watchedPage(context, problems)
  await page.goto(path)
  await hydrated(page)
  return page
}

async function signIn(page: Page, email: string, password: string) {
  await page.fill('[data-test=email]', email)
  await page.fill('[data-test=password]', password)
  await page.click('[data-test=login-submit]')
}

/** A client-side navigation through the app's router, as a NuxtLink makes one. */
function routerPush(page: Page, path: string) {
  return page.evaluate((to) => {
    const root = document.querySelector('#__nuxt') as Element & { __vue_app__: { config: { globalProperties: { $router: { push: (path: string) => Promise<unknown> } } } } }
    return root.__vue_app__.config.globalProperties.$router.push(to)
  }, path)
}

const count = (page: Page, what: 'basket' | 'wishlist') => page.textContent(`[data-test=${what}-count]`)

describe('path shops in Chromium', () => {
  it('1. serves the /de shop\'s pages and keeps its links inside /de', async () => {
    const page = await open(await newContext(), '/de')
    expect(await page.textContent('h1')).toBe('Alle Produkte')
    await page.click('[data-test=product-4] .card-link')
    await page.waitForURL(/\/de\/p\/4$/)
    await page.click('[data-test=basket-link]')
    await page.waitForURL(/\/de\/basket$/)
    await page.waitForSelector('[data-test=basket-empty]')
  })

  it('2. storefront-auth checks the target\'s shop: logged in to 1001, a client-side visit to /de/account goes to the /de login', async () => {
    const context = await newContext()
    const page = await open(context, '/login')
    await signIn(page, 'alice@example.com', 'alice-secret-1')
    await page.waitForSelector('[data-test=devices]')
    await routerPush(page, '/de/account')
    await page.waitForURL(/\/de\/login\?redirect=(?:%2F|\/)de(?:%2F|\/)account$/)
    expect(await page.locator('[data-test=account-name]').count()).toBe(0)
    // storefront-guest: the logged-in shopper skips the 1001 login page, and goes where ?redirect says.
    await routerPush(page, '/login?redirect=/basket')
    await page.waitForURL(/\/basket$/)
  })
})

describe('basket and wishlist loaded during SSR', () => {
  it('3. hydrates the counts without a single RPC call from the browser', async () => {
    const context = await newContext()
    const first = await open(context, '/')
    await first.click('[data-test=product-5] [data-test=wishlist-toggle]')
    await expect.poll(() => count(first, 'wishlist')).toBe('1')
    await first.goto('/p/3')
    await hydrated(first)
    await first.click('[data-test=add-to-basket]')
    await first.waitForSelector('[data-test=added]')
    await first.close()

    const page = await watchedPage(context, problems)
    const calls: string[] = []
    page.on('request', (request: Request) => {
      if (request.url().includes('/api/rpc/')) calls.push(request.url())
    })
    await page.goto('/wishlist')
    await hydrated(page)
    expect(await count(page, 'basket')).toBe('1')
    expect(await count(page, 'wishlist')).toBe('1')
    await page.waitForSelector('[data-test=wishlist-grid] [data-test=product-5]')
    // A navigation within the stale time needs no refetch either.
    await page.click('[data-test=basket-link]')
    await page.waitForSelector('[data-test=line-301]')
    expect(calls).toEqual([])
  })
})

describe('tabs of one shop in step', () => {
  it('7. a basket add, a login and a logout in one tab show in the other without a reload', async () => {
    const context = await newContext()
    const a = await open(context, '/p/8')
    const b = await open(context, '/')
    let reloads = 0
    b.on('framenavigated', (frame) => {
      if (frame === b.mainFrame()) reloads++
    })

    await a.click('[data-test=add-to-basket]')
    await a.waitForSelector('[data-test=added]')
    await expect.poll(() => count(b, 'basket')).toBe('1')

    await a.goto('/login')
    await hydrated(a)
    await signIn(a, 'bob@example.com', 'bob-secret-1')
    await a.waitForSelector('[data-test=devices]')
    await b.waitForSelector('[data-test=account-link]')
    expect(await b.textContent('[data-test=account-link]')).toContain('Bob')

    await a.click('[data-test=logout]')
    await a.waitForURL(/\/$/)
    await b.waitForSelector('[data-test=login-link]')
    await expect.poll(() => count(b, 'basket')).toBe('0')
    expect(reloads).toBe(0)
  })
})

describe('forms with JavaScript disabled', () => {
  it('9. signs in with Enter, adds to the basket, saves to the wishlist and removes a line, all by form posts', async () => {
    const context = await newContext({ javaScriptEnabled: false })
    // Scripts are blocked (Chromium reports them as failed requests): only errors and error responses count here.
    const noScript: PageProblems = { list: [] }
    const page = await watchedPage(context, noScript)
    const urls: string[] = []
    page.on('request', request => urls.push(request.url()))
    await page.goto('/login')
    await page.fill('[data-test=email]', 'alice@example.com')
    await page.fill('[data-test=password]', 'alice-secret-1')
    await page.press('[data-test=password]', 'Enter')
    await page.waitForURL(/\/account$/)
    expect(await page.textContent('[data-test=account-name]')).toBe('Alice')
    // The merge report the login flashed is shown by the page the form post led to.
    expect(await page.textContent('[data-test=notice]')).toContain('Welcome back, Alice')
    expect(urls.filter(url => url.includes('alice-secret-1'))).toEqual([])

    await page.goto('/p/6')
    await page.check('[data-test=variant-602]')
    await page.click('[data-test=add-to-basket]')
    await page.waitForURL(/\/p\/6\?added=1$/)
    await page.waitForSelector('[data-test=added]')
    const basketAfterAdd = Number(await count(page, 'basket'))
    expect(basketAfterAdd).toBeGreaterThanOrEqual(1)

    const wishlistBefore = Number(await count(page, 'wishlist'))
    await page.click('[data-test=wishlist-toggle]')
    await page.waitForURL(/\/p\/6/)
    expect(Number(await count(page, 'wishlist'))).toBe(wishlistBefore + 1)

    await page.goto('/basket')
    await page.click('[data-test=line-602] [data-test=remove-line]')
    await page.waitForURL(/\/basket$/)
    expect(await page.locator('[data-test=line-602]').count()).toBe(0)
    expect(Number(await count(page, 'basket'))).toBe(basketAfterAdd - 1)

    await page.goto('/de/login')
    await page.fill('[data-test=email]', 'alice@example.com')
    await page.fill('[data-test=password]', 'wrong-password')
    await page.press('[data-test=password]', 'Enter')
    await page.waitForURL(/\/de\/login\?error=401$/)
    expect(await page.textContent('[data-test=login-error]')).toBe('E-Mail-Adresse oder Passwort ist falsch.')
    expect(urls.filter(url => url.includes('wrong-password'))).toEqual([])
    expect(noScript.list.filter(problem => !/^requestfailed: \S+\.js csp$/.test(problem))).toEqual([])
  })

  it('saw no console error and no failed request in any flow', () => {
    expect(problems.list).toEqual([])
  })
})
