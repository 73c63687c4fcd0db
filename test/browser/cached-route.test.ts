import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hydrated, launchChromium, watchedPage } from '../helpers/browser'
import type { PageProblems } from '../helpers/browser'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// A page under an swr route rule is one render for everybody: the server renders it without the shopper, and the
// browser loads the shopper after hydration (test/e2e/ssr-start-options.test.ts checks the render itself).
let server: FixtureServer
let browser: Browser
let context: BrowserContext
const problems: PageProblems = { list: [] }

beforeAll(async () => {
  server = await startFixtureServer('playground', { NUXT_NITRO_ROUTE_RULES: '{"/wishlist":{"swr":60},"/gone/**":{"swr":60}}' })
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url })
})

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.stop()
})

describe('a cached page in Chromium', () => {
  it('shows the logged-in shopper once hydrated, and a client-side visit to the account page stays there', async () => {
    const page = await watchedPage(context, problems)
    await page.goto('/p/3')
    await hydrated(page)
    await page.check('[data-test=variant-301]')
    await page.click('[data-test=add-to-basket]')
    await expect.poll(() => page.textContent('[data-test=basket-count]')).toBe('1')
    await page.goto('/login')
    await hydrated(page)
    await page.fill('[data-test=email]', 'alice@example.com')
    await page.fill('[data-test=password]', 'alice-secret-1')
    await page.click('[data-test=login-submit]')
    await page.waitForSelector('[data-test=account-name]')

    // A full load of the cached page: its HTML has no shopper in it, the browser fills the header in.
    const response = await page.goto('/wishlist')
    expect(await response!.text()).not.toContain('Alice')
    await hydrated(page)
    await expect.poll(() => page.textContent('[data-test=account-link]')).toContain('Alice')
    await expect.poll(() => page.textContent('[data-test=basket-count]')).toBe('1')

    // storefront-auth decides in the browser, with the loaded shopper: no detour to /login.
    await page.click('[data-test=account-link]')
    await page.waitForSelector('[data-test=account-name]')
    expect(new URL(page.url()).pathname).toBe('/account')
    expect(problems.list).toEqual([])
  })

  it('renders a missing page as its route does: under a cached route without the shopper until hydrated, elsewhere with her', async () => {
    const missing: PageProblems = { list: [] }
    const page = await watchedPage(context, missing)
    const login = await context.request.post('/api/rpc/login', { data: { payload: { email: 'alice@example.com', password: 'alice-secret-1' } } })
    expect(login.status()).toBe(200)

    const cached = await page.goto('/gone/away')
    expect(cached!.status()).toBe(404)
    expect(await cached!.text()).not.toContain('Alice')
    await hydrated(page)
    await expect.poll(() => page.textContent('[data-test=account-link]')).toContain('Alice')

    const plain = await page.goto('/no-such-page')
    expect(plain!.status()).toBe(404)
    expect(await plain!.text()).toMatch(/data-test="account-link"[^>]*>\s*Alice\s*</)
    await hydrated(page)
    expect(await page.textContent('[data-test=account-link]')).toContain('Alice')
    // The two documents' own 404s, and nothing else (no hydration mismatch, no failed load).
    expect(missing.list.map(problem => problem.replace(server.url, ''))).toEqual(['/gone/away', '/no-such-page'].flatMap(path => [
      `response 404: ${path}`,
      `console: Failed to load resource: the server responded with a status of 404 (Page not found: ${path})`,
    ]))
  })
})
