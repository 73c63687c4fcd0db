import type { Browser, BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'

/** Debian's Chromium; Playwright's own browser download is not used. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Launches headless Chromium with the flags a closed network needs (no background connections).
 * @returns the browser
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** What went wrong in a page: console errors, uncaught exceptions, failed or erroring requests. */
export interface PageProblems {
  list: string[]
}

/**
 * Opens a page that records every console error, page error, failed request and 4xx/5xx response.
 * @param context the browser context
 * @param problems where to record
 * @returns the page
 */
export async function watchedPage(context: BrowserContext, problems: PageProblems): Promise<Page> {
  const page = await context.newPage()
  page.on('console', (message) => {
    if (message.type() === 'error') problems.list.push(`console: ${message.text()}`)
  })
  page.on('pageerror', error => problems.list.push(`pageerror: ${error.message}`))
  page.on('requestfailed', (request) => {
    // A navigation that replaces a page in flight aborts its requests; that is not a failure.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.list.push(`requestfailed: ${request.url()} ${request.failure()?.errorText}`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400) problems.list.push(`response ${response.status()}: ${response.url()}`)
  })
  return page
}

/**
 * Waits until Nuxt has hydrated the page, so that clicks reach Vue handlers.
 * @param page the page
 */
export async function hydrated(page: Page): Promise<void> {
  // Vue keeps the app on its mount element; Nuxt keeps its app on the Vue app as $nuxt.
  await page.waitForFunction(() => {
    const root = document.querySelector('#__nuxt') as (Element & { __vue_app__?: { $nuxt?: { isHydrating?: boolean } } }) | null
    const nuxtApp = root?.__vue_app__?.$nuxt
    return Boolean(nuxtApp) && nuxtApp!.isHydrating === false
  })
}

/**
 * Checks that a page lays out within its viewport: no horizontal overflow, and every given element visible with a
 * non-empty box that does not hide under the sticky header.
 * @param page the page
 * @param selectors elements that must be on screen
 * @returns the problems found (empty when the layout holds)
 */
export async function layoutProblems(page: Page, selectors: string[]): Promise<string[]> {
  return page.evaluate((wanted) => {
    const problems: string[] = []
    const width = document.documentElement.clientWidth
    if (document.documentElement.scrollWidth > width + 1) problems.push(`horizontal overflow: ${document.documentElement.scrollWidth} > ${width}`)
    const header = document.querySelector('header')?.getBoundingClientRect()
    for (const selector of wanted) {
      const element = document.querySelector(selector)
      const box = element?.getBoundingClientRect()
      if (!element || !box || box.width === 0 || box.height === 0) {
        problems.push(`${selector}: missing or empty`)
        continue
      }
      if (box.left < 0 || box.right > width + 1) problems.push(`${selector}: outside the viewport horizontally`)
      if (header && element.closest('header') === null && box.top < header.bottom - 1 && window.scrollY === 0) problems.push(`${selector}: under the header`)
    }
    return problems
  }, selectors)
}
