import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hydrated, launchChromium, layoutProblems, watchedPage } from '../helpers/browser'
import type { PageProblems } from '../helpers/browser'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url))
let server: FixtureServer
let browser: Browser
const contexts: BrowserContext[] = []
const problems: PageProblems = { list: [] }
const started = Date.now()

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  // Secure cookies on plain http://127.0.0.1 are fine: browsers treat loopback as a secure context.
  server = await startFixtureServer('playground')
  browser = await launchChromium()
})

afterAll(async () => {
  await Promise.all(contexts.map(context => context.close()))
  await browser?.close()
  await server?.stop()
  console.log(`[measure] browser flows took ${((Date.now() - started) / 1000).toFixed(1)} s`)
})

async function open(path: string, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext, page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: server.url })
  contexts.push(context)
  const page = await watchedPage(context, problems)
  await page.goto(path)
  await hydrated(page)
  return { context, page }
}

async function addToBasket(page: Page, productId: number, variant: 1 | 2 = 1) {
  await page.goto(`${page.url().includes('/de') ? '/de' : ''}/p/${productId}`)
  await hydrated(page)
  await page.check(`[data-test=variant-${productId * 100 + variant}]`)
  const before = Number(await page.textContent('[data-test=basket-count]'))
  await page.click('[data-test=add-to-basket]')
  await page.waitForSelector('[data-test=added]')
  await expect.poll(async () => Number(await page.textContent('[data-test=basket-count]'))).toBe(before + 1)
}

async function login(page: Page, email: string, password: string) {
  await page.fill('[data-test=email]', email)
  await page.fill('[data-test=password]', password)
  await page.click('[data-test=login-submit]')
}

describe('storefront in Chromium', () => {
  it('1. merges a guest basket and wishlist into the user at login and says so', async () => {
    const { page } = await open('/')
    await page.screenshot({ path: `${ARTIFACTS}home.png` })
    expect(await layoutProblems(page, ['[data-test=product-grid]', '[data-test=product-1]', '[data-test=basket-count]'])).toEqual([])

    await page.click('[data-test=product-5] [data-test=wishlist-toggle]')
    await expect.poll(() => page.textContent('[data-test=wishlist-count]')).toBe('1')
    await addToBasket(page, 3)
    await page.screenshot({ path: `${ARTIFACTS}product.png` })
    expect(await layoutProblems(page, ['[data-test=add-to-basket]', '.product-hero'])).toEqual([])
    await addToBasket(page, 7, 2)

    await page.click('[data-test=basket-link]')
    await page.waitForSelector('[data-test=basket-lines]')
    expect(await page.locator('[data-test=basket-lines] > li').count()).toBe(2)
    await page.screenshot({ path: `${ARTIFACTS}basket.png` })
    expect(await layoutProblems(page, ['[data-test=basket-lines]', '[data-test=basket-total]'])).toEqual([])

    await page.click('[data-test=login-link]')
    await login(page, 'alice@example.com', 'alice-secret-1')
    await page.waitForSelector('[data-test=notice]')
    expect(await page.textContent('[data-test=notice]')).toContain('Welcome back, Alice: 2 items from your guest basket were added')
    expect(await page.textContent('[data-test=account-name]')).toBe('Alice')
    expect(await page.textContent('[data-test=basket-count]')).toBe('2')
    expect(await page.textContent('[data-test=wishlist-count]')).toBe('1')
    await page.screenshot({ path: `${ARTIFACTS}account.png` })
    expect(await layoutProblems(page, ['[data-test=devices]', '[data-test=logout]'])).toEqual([])

    // After a reload the merged data comes from the server, not from client state.
    await page.goto('/basket')
    await hydrated(page)
    expect(await page.locator('[data-test=line-301], [data-test=line-702]').count()).toBe(2)
    await page.goto('/wishlist')
    await page.waitForSelector('[data-test=wishlist-grid] [data-test=product-5]')
  })

  it('2. keeps the session cookie out of reach of scripts: HttpOnly, SameSite=Lax', async () => {
    const { context, page } = await open('/')
    await page.click('[data-test=product-9] [data-test=wishlist-toggle]')
    await expect.poll(() => page.textContent('[data-test=wishlist-count]')).toBe('1')
    const cookies = await context.cookies()
    const session = cookies.find(cookie => cookie.name === '$session-1001')
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
    expect(await page.evaluate(() => document.cookie)).not.toContain('$session-1001')
  })

  it('3. lists two devices of one user and logs the other one out', async () => {
    const first = await open('/login')
    await login(first.page, 'bob@example.com', 'bob-secret-1')
    await first.page.waitForSelector('[data-test=devices]')
    const second = await open('/login')
    await login(second.page, 'bob@example.com', 'bob-secret-1')
    await second.page.waitForSelector('[data-test=devices]')

    await first.page.reload()
    await hydrated(first.page)
    await expect.poll(() => first.page.locator('[data-test=device]').count()).toBe(2)
    expect(await first.page.locator('[data-test=device][data-current=true]').count()).toBe(1)

    await first.page.click('[data-test=logout-others]')
    await first.page.waitForSelector('[data-test=ended]')
    expect(await first.page.textContent('[data-test=ended]')).toContain('1 other device was logged out')
    expect(await first.page.locator('[data-test=device]').count()).toBe(1)

    await second.page.reload()
    await hydrated(second.page)
    await second.page.waitForURL(/\/login\?redirect=/)
    expect(await second.page.isVisible('[data-test=login-link]')).toBe(true)
  })

  it('names this device on the account page, and the name stays after a reload', async () => {
    const { page } = await open('/login')
    await login(page, 'bob@example.com', 'bob-secret-1')
    await page.waitForSelector('[data-test=devices]')
    await hydrated(page)
    await page.fill('[data-test=device-label]', 'Bob\'s laptop')
    await page.click('[data-test=save-device-label]')
    const current = page.locator('[data-test=device][data-current=true] [data-test=device-name]')
    await expect.poll(() => current.textContent()).toBe('Bob\'s laptop')
    await page.reload()
    await hydrated(page)
    expect(await current.textContent()).toBe('Bob\'s laptop')
    expect(await page.inputValue('[data-test=device-label]')).toBe('Bob\'s laptop')
  })

  it('4. sends a guest from a protected page to login and back after login', async () => {
    const { page } = await open('/account')
    await page.waitForURL(/\/login\?redirect=(?:%2F|\/)account$/)
    await login(page, 'alice@example.com', 'alice-secret-1')
    await page.waitForURL(/\/account$/)
    await page.waitForSelector('[data-test=devices]')
  })

  it('5. keeps shop 1002 apart: its own basket and its own login', async () => {
    const { page } = await open('/login')
    await login(page, 'alice@example.com', 'alice-secret-1')
    await page.waitForSelector('[data-test=devices]')
    const internationalCount = await page.textContent('[data-test=basket-count]')

    await page.click('[data-test=shop-1002]')
    await page.waitForURL(/\/de$/)
    await hydrated(page)
    expect(await page.isVisible('[data-test=login-link]')).toBe(true)
    expect(await page.textContent('[data-test=basket-count]')).toBe('0')
    await addToBasket(page, 12)
    expect(page.url()).toContain('/de/p/12')

    await page.click('[data-test=shop-1001]')
    await page.waitForURL(/\/$/)
    await hydrated(page)
    expect(await page.textContent('[data-test=basket-count]')).toBe(internationalCount)
    expect(await page.isVisible('[data-test=account-link]')).toBe(true)
  })

  it('lays out on a phone-sized screen without horizontal overflow', async () => {
    const { page } = await open('/', { width: 390, height: 844 })
    expect(await layoutProblems(page, ['[data-test=product-grid]', '[data-test=basket-count]'])).toEqual([])
    await page.goto('/p/4')
    await hydrated(page)
    expect(await layoutProblems(page, ['[data-test=add-to-basket]'])).toEqual([])
    await page.screenshot({ path: `${ARTIFACTS}product-mobile.png` })
  })

  it('6. saw no console error and no failed request in any flow', () => {
    expect(problems.list).toEqual([])
  })
})
