import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hydrated, launchChromium, watchedPage } from '../helpers/browser'
import type { PageProblems } from '../helpers/browser'
import { CookieJar } from '../helpers/jar'
import { freePort, startRedis } from '../helpers/redis'
import type { RedisProcess } from '../helpers/redis'
import { startBuiltServer } from '../helpers/server'
import type { FixtureServer } from '../helpers/server'
import { readmeProductionEnv } from './readme'

// The way a user meets the module: `npm pack` (which runs prepack), the tarball installed into a separate Nuxt app
// written from the README (test/consumer, with its own lockfile), typecheck, build, and the production server started
// with the README's environment variables only, on a real redis-server.
// STOREFRONT_TARBALL=<path> tests a given tarball instead of packing this checkout.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const APP = join(ROOT, 'test/consumer')
const SECRET = 'consumer-secret-0123456789-abcdefghijklmnop'

function run(command: string, args: string[], cwd: string): { status: number | null, output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_ENV: undefined }, maxBuffer: 64 * 1024 * 1024 })
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` }
}

function mustRun(command: string, args: string[], cwd: string): string {
  const { status, output } = run(command, args, cwd)
  if (status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${status}:\n${output.slice(-6000)}`)
  return output
}

let tarball: string

beforeAll(() => {
  tarball = process.env.STOREFRONT_TARBALL ?? (() => {
    const destination = mkdtempSync(join(tmpdir(), 'storefront-pack-'))
    mustRun('npm', ['pack', '--pack-destination', destination], ROOT)
    const [file] = readdirSync(destination).filter(name => name.endsWith('.tgz'))
    return join(destination, file!)
  })()
  mustRun('npm', ['ci'], APP)
  mustRun('npm', ['install', '--no-save', tarball], APP)
}, 600_000)

describe('the packed module in a fresh Nuxt app', () => {
  it('is installed from the tarball: a copy of dist/ without sources, never a link to this checkout', () => {
    const installed = join(APP, 'node_modules/nuxt-storefront-session')
    expect(lstatSync(installed).isSymbolicLink()).toBe(false)
    expect(existsSync(join(installed, 'dist/module.mjs'))).toBe(true)
    expect(existsSync(join(installed, 'src'))).toBe(false)
    // Every runtime path the built module resolves exists inside the package.
    const module = readFileSync(join(installed, 'dist/module.mjs'), 'utf8')
    expect(module).not.toMatch(/resolve\(["'`]\.\.\//)
  })

  it('passes nuxi typecheck, with type probes for RPC methods, params, session keys, the user and tokens', () => {
    const { status, output } = run('npx', ['nuxi', 'typecheck'], APP)
    expect(output.match(/error TS\d.*/g) ?? []).toEqual([])
    expect(status).toBe(0)
    // The probes are part of what was checked: each holds @ts-expect-error lines that fail the run once the error
    // they mark disappears.
    const probes = ['app/type-probes/rpc.ts', 'server/type-probes/session.ts'].map(file => readFileSync(join(APP, file), 'utf8'))
    expect(probes.join('\n').match(/@ts-expect-error/g)!.length).toBeGreaterThanOrEqual(7)
  })

  it('builds with nuxi build, without unresolved imports', () => {
    const output = mustRun('npx', ['nuxi', 'build'], APP)
    expect(output).not.toMatch(/could not be resolved|ERR_MODULE_NOT_FOUND|Cannot find module/i)
    expect(existsSync(join(APP, '.output/server/index.mjs'))).toBe(true)
  })
})

describe('the consumer app\'s production server, configured by the README\'s environment variables', () => {
  let redis: RedisProcess
  let server: FixtureServer
  let env: Record<string, string>
  let metricsPort: number

  beforeAll(async () => {
    redis = await startRedis()
    env = readmeProductionEnv({ url: redis.url, secret: SECRET })
    metricsPort = await freePort()
    // Exactly the README's variables (plus the system PATH, and where the README's Prometheus exporter listens):
    // nothing else configures the store or the secret.
    server = await startBuiltServer(APP, env, { PATH: process.env.PATH, NODE_ENV: 'production', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort) })
  }, 120_000)

  afterAll(async () => {
    await server?.stop()
    await redis?.dispose()
  })

  it('was configured through NUXT_STOREFRONT_* only: the session lands in the test redis-server', async () => {
    const jar = new CookieJar('1001')
    const added = await jar.rpc(server, 'addItemToBasket', { variantId: 7, quantity: 1 })
    expect(added.status).toBe(200)
    const client = redis.client()
    try {
      expect((await client.keys('storefront:*')).length).toBeGreaterThan(0)
    }
    finally {
      client.disconnect()
    }
    expect(server.logs()).not.toMatch(/memory store|embedded/i)
  })

  it('renders an anonymous page with no cookie, and gives a guest a signed HttpOnly cookie on the first write', async () => {
    const page = await server.fetch('/')
    expect(page.status).toBe(200)
    expect(page.headers.getSetCookie()).toEqual([])
    expect(await page.text()).toContain('Sign in')

    const jar = new CookieJar('1001')
    const { status, body, setCookie } = await jar.rpc(server, 'addItemToBasket', { variantId: 11, quantity: 2 })
    expect(status).toBe(200)
    expect(body.items).toEqual([{ variantId: 11, quantity: 2 }])
    const cookie = setCookie.find(header => header.startsWith('$session-1001='))!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/Secure/i)
    expect(cookie).toMatch(/^\$session-1001=s%3A[0-9a-f-]{36}\./)
    expect((await jar.rpc(server, 'getBasket')).body.items).toEqual([{ variantId: 11, quantity: 2 }])
  })

  it('keeps the second shop apart, with a cookie of its own', async () => {
    const jar = new CookieJar('1002')
    const { status, setCookie } = await jar.rpc(server, 'addItemToWishlist', { productId: 5 })
    expect(status).toBe(200)
    expect(setCookie.some(header => header.startsWith('$session-1002='))).toBe(true)
    const other = new CookieJar('1001')
    other.cookie = jar.cookie!.replace('$session-1002', '$session-1001')
    expect((await other.rpc(server, 'getWishlist')).body.items).toEqual([])
  })

  it('serves the app\'s own method with valibot input, and answers bad params with a 400 problem', async () => {
    const jar = new CookieJar('1001')
    const ok = await jar.rpc(server, 'addToWishlist', { productId: 3 })
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ items: [{ productId: 3 }] })
    const bad = await jar.rpc(server, 'addToWishlist', { productId: 'three' })
    expect(bad.status).toBe(400)
    expect(bad.body.detail).toMatch(/productId/)
  })

  it('keeps typed session data through useStorefrontSession in a plain server route', async () => {
    let cookie: string | undefined
    for (const productId of [1, 2]) {
      const response = await server.fetch('/api/recently-viewed', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ productId }),
      })
      expect(response.status).toBe(200)
      cookie ??= response.headers.getSetCookie()[0]!.split(';')[0]
      if (productId === 2) expect(await response.json()).toEqual({ viewed: [2, 1] })
    }
  })

  it('answers 401 on the protected route for a guest, and logs in through the app\'s login method with the merge', async () => {
    const jar = new CookieJar('1001')
    await jar.rpc(server, 'addItemToBasket', { variantId: 21, quantity: 3 })
    await jar.rpc(server, 'addToWishlist', { productId: 9 })
    const guestCookie = jar.cookie!

    expect((await server.fetch('/api/orders', { headers: { cookie: guestCookie } })).status).toBe(401)

    const wrong = await jar.rpc(server, 'login', { email: 'ada@example.com', password: 'nope' })
    expect(wrong.status).toBe(401)
    const login = await jar.rpc(server, 'login', { email: ' Ada@Example.com ', password: 'correct horse battery staple' })
    expect(login.status).toBe(200)
    expect(login.body.user).toEqual({ id: 'u1', email: 'ada@example.com', firstName: 'Ada' })
    expect(login.body.merge).toMatchObject({ merged: true, linesAdded: 1, unitsAdded: 3, wishlistAdded: 1 })
    expect(JSON.stringify(login.body)).not.toContain('demo-token')
    expect(decodeURIComponent(jar.cookie!)).toMatch(/^\$session-1001=s:u1:[0-9a-f-]{36}\./)

    expect((await jar.rpc(server, 'getBasket')).body.items).toContainEqual({ variantId: 21, quantity: 3 })
    const orders = await server.fetch('/api/orders', { headers: { cookie: jar.cookie! } })
    expect(orders.status).toBe(200)
    expect(await orders.json()).toEqual({ email: 'ada@example.com', orders: [] })
    // The guest cookie from before the login never authenticates again.
    expect((await server.fetch('/api/orders', { headers: { cookie: guestCookie } })).status).toBe(401)
    expect(server.logs()).toMatch(/\[shop 1001\] u1 logged in; \d+ units came over from the guest basket/)
  })

  it('serves the module\'s metrics to Prometheus through the README\'s exporter plugin', async () => {
    const jar = new CookieJar('1001')
    expect((await jar.rpc(server, 'addItemToBasket', { variantId: 31, quantity: 1 })).status).toBe(200)
    expect((await jar.rpc(server, 'getBasket')).status).toBe(200)
    const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    expect(scraped).toMatch(/^storefront_session_loads_total\{storefront_shop="1001"[^}]*\} [1-9]\d*$/m)
    expect(scraped).toMatch(/^storefront_session_creations_total\{storefront_shop="1001"[^}]*\} [1-9]\d*$/m)
    // Buckets in seconds, up from half a millisecond.
    expect(scraped).toMatch(/^storefront_store_duration_bucket\{[^}]*storefront_operation="read(?:WithUser)?"[^}]*le="0\.0005"\} \d+$/m)
    expect(scraped).toMatch(/^storefront_store_duration_bucket\{[^}]*storefront_operation="read(?:WithUser)?"[^}]*le="\+Inf"\} [1-9]\d*$/m)
  })

  it('sends a guest from the page behind storefront-auth to the login page', async () => {
    const response = await server.fetch('/account')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/login?redirect=/account')
  })

  it('serves the pages under the /de shop too, with its own login', async () => {
    expect((await server.fetch('/de/login')).status).toBe(200)
    const account = await server.fetch('/de/account')
    expect(account.status).toBe(302)
    expect(account.headers.get('location')).toBe('/de/login?redirect=/de/account')
  })

  it('answers requireStorefrontUser\'s 401 with problem+json and a WWW-Authenticate challenge', async () => {
    const response = await server.fetch('/api/orders')
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toContain('application/problem+json')
    expect(response.headers.get('www-authenticate')).toMatch(/^Cookie realm="storefront"/)
  })

  it('signs in from the README\'s login form without JavaScript, and storefront-guest then skips the login page', async () => {
    const posted = await server.fetch('/api/form/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', 'referer': `${server.url}/login` },
      body: new URLSearchParams({ email: 'ada@example.com', password: 'correct horse battery staple', redirect: '/account' }).toString(),
    })
    expect(posted.status).toBe(303)
    expect(posted.headers.get('location')).toBe('/account')
    const cookie = posted.headers.getSetCookie().find(header => header.startsWith('$session-1001='))!.split(';')[0]!
    const login = await server.fetch('/login', { headers: { cookie } })
    expect(login.status).toBe(302)
    expect(login.headers.get('location')).toBe('/')
  })

  it('lists devices with handles and revokes one (revokeSession)', async () => {
    const credentials = { email: 'ada@example.com', password: 'correct horse battery staple' }
    const first = new CookieJar('1001')
    expect((await first.rpc(server, 'login', credentials)).status).toBe(200)
    // Ada's sessions from other tests go first, so that the list holds these two.
    expect((await first.rpc(server, 'logoutOtherDevices')).status).toBe(200)
    const second = new CookieJar('1001')
    expect((await second.rpc(server, 'login', credentials)).status).toBe(200)
    const { sessions } = (await first.rpc(server, 'listSessions')).body
    expect(sessions).toHaveLength(2)
    const other = sessions.find((entry: { current: boolean }) => !entry.current)
    expect(other.handle).toMatch(/^[\w-]{22}$/)
    expect((await first.rpc(server, 'revokeSession', { handle: other.handle })).status).toBe(200)
    expect((await second.rpc(server, 'getUser')).body).toEqual({ user: null })
  })

  it('runs the README\'s account routes: login, me, devices, logout elsewhere, logout', async () => {
    const call = async (path: string, cookie: string | undefined, init: RequestInit = {}) => {
      const response = await server.fetch(`/api/account/${path}`, { redirect: 'manual', ...init, headers: { 'content-type': 'application/json', ...cookie ? { cookie } : {} } })
      const set = response.headers.getSetCookie().find(header => header.startsWith('$session-1001='))
      const text = await response.text()
      return { status: response.status, set, body: /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text }
    }
    const credentials = JSON.stringify({ email: 'ada@example.com', password: 'correct horse battery staple' })
    expect((await call('me', undefined)).body).toEqual({ loggedIn: false, firstName: null })
    expect((await call('devices', undefined)).status).toBe(401)
    const login = await call('login', undefined, { method: 'POST', body: credentials })
    expect(login).toMatchObject({ status: 200, body: { user: { id: 'u1', firstName: 'Ada' }, linesAdded: 0 } })
    const laptop = login.set!.split(';')[0]!
    const phone = (await call('login', undefined, { method: 'POST', body: credentials })).set!.split(';')[0]!
    expect((await call('me', laptop)).body).toEqual({ loggedIn: true, firstName: 'Ada' })
    expect((await call('devices', laptop)).body.sessions.length).toBeGreaterThanOrEqual(2)
    expect((await call('logout-elsewhere', laptop, { method: 'POST' })).body.destroyed).toBeGreaterThanOrEqual(1)
    expect((await call('me', phone)).body.loggedIn).toBe(false)
    expect((await call('devices', laptop)).body.total).toBe(1)
    const logout = await call('logout', laptop, { method: 'POST' })
    expect(logout.status).toBe(303)
    expect((await call('me', laptop)).body.loggedIn).toBe(false)
  })

  it('works in Chromium: add to basket, sign in, land on the account page with the basket merged', async () => {
    const browser = await launchChromium()
    const problems: PageProblems = { list: [] }
    try {
      const context = await browser.newContext({ baseURL: server.url })
      const page = await watchedPage(context, problems)
      await page.goto('/')
      await hydrated(page)
      await page.click('[data-test=add-2]')
      await page.locator('[data-test=basket-count]', { hasText: '1' }).waitFor()
      await page.click('[data-test=wish-3]')
      await page.locator('[data-test=wishlist-count]', { hasText: '1' }).waitFor()

      await page.goto('/account')
      expect(new URL(page.url()).pathname).toBe('/login')
      await hydrated(page)
      await page.fill('[data-test=email]', 'ada@example.com')
      await page.fill('[data-test=password]', 'correct horse battery staple')
      await page.click('[data-test=login]')
      await page.waitForURL('**/account')
      await page.locator('[data-test=account-name]', { hasText: 'Ada' }).waitFor()
      // Ada's basket from the earlier login (3 units) plus this guest's unit.
      expect(Number(await page.textContent('[data-test=basket-count]'))).toBeGreaterThanOrEqual(4)

      await page.goto('/')
      await page.locator('[data-test=greeting]', { hasText: 'Hello, Ada' }).waitFor()
      // The 302 to /login is the middleware doing its job; nothing else may fail.
      expect(problems.list.filter(problem => !/response 302/.test(problem))).toEqual([])
    }
    finally {
      await browser.close()
    }
  })

  it('runs the packed CLI in the app\'s folder with the README\'s variables: counts the sessions the server made', () => {
    const result = spawnSync('npx', ['nuxt-storefront-session', 'count', '--json'], { cwd: APP, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } })
    expect(result.status, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.shops.map((shop: { shopId: string }) => shop.shopId)).toEqual(['1001', '1002'])
    expect(report.shops[0].guestSessions + report.shops[0].userSessions).toBeGreaterThan(0)
    expect(report.shops[1].guestSessions + report.shops[1].userSessions).toBeGreaterThan(0)
    const usage = spawnSync('npx', ['nuxt-storefront-session', 'end-shop', '--shop', '1001'], { cwd: APP, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } })
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/--yes/)
  })
})
