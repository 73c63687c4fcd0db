import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FIXTURES } from '../helpers/build-fixtures'
import { postJson, setCookieHeader, setCookiePair } from '../helpers/cookies'
import { CookieJar } from '../helpers/jar'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer, TEST_SECRET } from '../helpers/server'

const servers: FixtureServer[] = []
afterAll(async () => {
  await Promise.all(servers.map(server => server.stop()))
})
async function start(fixture: 'basic' | 'playground', env: Record<string, string> = {}) {
  const server = await startFixtureServer(fixture, env)
  servers.push(server)
  return server
}

describe('absolute lifetime', () => {
  it('ends a session at session.absoluteMaxAge however active it is', async () => {
    const server = await start('basic', { NUXT_STOREFRONT_SESSION_ABSOLUTE_MAX_AGE: '2', NUXT_STOREFRONT_SESSION_REFRESH_INTERVAL: '1' })
    // Taken before the request: the session's clock starts after this, however long the response takes to arrive.
    const createdAt = Date.now()
    const created = await server.fetch('/api/session/put', postJson({ key: 'k', value: 1 }))
    const cookie = setCookiePair(created, '$session-1001')!
    let refreshes = 0
    let endedAfter = -1
    // Read without pause: rolling refreshes keep an ordinary session alive forever; this one must still end.
    while (Date.now() - createdAt < 6000) {
      const response = await server.fetch('/api/session/state', { headers: { cookie } })
      if (setCookieHeader(response, '$session-1001')) refreshes++
      if ((await response.json()).isNew) {
        endedAfter = Date.now() - createdAt
        break
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    expect(refreshes).toBeGreaterThan(0)
    expect(endedAfter).toBeGreaterThanOrEqual(1900)
    expect(endedAfter).toBeLessThan(4000)
  })
})

describe('RPC limits and origins', () => {
  it('refuses a state-changing call from an origin not in rpc.allowedOrigins with a 403', async () => {
    const server = await start('playground', { NUXT_STOREFRONT_RPC_ALLOWED_ORIGINS: JSON.stringify(['https://shop.example']) })
    const call = (origin?: string) => server.fetch('/api/rpc/addItemToBasket', postJson({ payload: { variantId: 101, quantity: 1 } }, origin ? { origin } : {}))
    const foreign = await call('https://evil.example')
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('content-type')).toContain('application/problem+json')
    expect(foreign.headers.getSetCookie()).toEqual([])
    expect((await call('https://shop.example')).status).toBe(200)
    // Non-browser clients send no Origin; the JSON-only content type already keeps cross-site forms out.
    expect((await call()).status).toBe(200)
  })

  it('refuses the 101st basket line with a 400 at the default limit (basic fixture: no catalog)', async () => {
    const server = await start('basic')
    const jar = new CookieJar()
    for (let variantId = 1; variantId <= 100; variantId++) {
      expect((await jar.rpc(server, 'addItemToBasket', { variantId, quantity: 1 })).status).toBe(200)
    }
    const past = await jar.rpc(server, 'addItemToBasket', { variantId: 101, quantity: 1 })
    expect(past.status).toBe(400)
    expect(past.body).toMatchObject({ status: 400, detail: 'the basket is full' })
    // An existing line can still grow.
    expect((await jar.rpc(server, 'addItemToBasket', { variantId: 1, quantity: 1 })).status).toBe(200)
    expect((await jar.rpc(server, 'getWishlist')).status).toBe(200)
  })

  it('takes the line limit from commerce.maxBasketLines', async () => {
    const server = await start('playground', { NUXT_STOREFRONT_COMMERCE_MAX_BASKET_LINES: '3' })
    const jar = new CookieJar()
    for (const variantId of [101, 201, 301]) expect((await jar.rpc(server, 'addItemToBasket', { variantId, quantity: 1 })).status).toBe(200)
    const fourth = await jar.rpc(server, 'addItemToBasket', { variantId: 401, quantity: 1 })
    expect(fourth.status).toBe(400)
    expect(fourth.body).toMatchObject({ status: 400, detail: 'the basket is full' })
    expect((await jar.rpc(server, 'getBasket')).body.items).toHaveLength(3)
  })
})

describe('credentials stay on the server', () => {
  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : [path]
    })
  }

  it('keeps tokens, password hashes and the secret out of the SSR page, its payload and the logs', async () => {
    const server = await start('playground')
    const jar = new CookieJar()
    await jar.rpc(server, 'addItemToBasket', { variantId: 101, quantity: 1 })
    const login = await jar.rpc(server, 'login', { email: 'alice@example.com', password: 'alice-secret-1' })
    expect(login.status).toBe(200)
    const html = await (await server.fetch('/account', { headers: { cookie: jar.cookie! } })).text()
    expect(html).toContain('Hello, <span data-test="account-name">Alice</span>')
    const cookieValue = decodeURIComponent(jar.cookie!.split('=')[1]!)
    for (const text of [html, JSON.stringify(login.body), server.logs()]) {
      expect(text).not.toContain(TEST_SECRET)
      expect(text).not.toMatch(/demo-[0-9a-f-]{36}/)
      expect(text).not.toMatch(/scrypt:/)
      expect(text).not.toMatch(/accessToken|passwordHash/)
      expect(text).not.toContain(cookieValue.slice(2))
    }
    // Only the public part of the module's runtime config reaches the page.
    expect(html).not.toMatch(/maxDataSize|storeTimeout|"secret"/)
  })

  it('builds a client bundle with no password hash, no private runtime config and no server code', () => {
    const bundle = files(join(FIXTURES.playground, '.output/public'))
    expect(bundle.length).toBeGreaterThan(3)
    for (const file of bundle) {
      const text = readFileSync(file, 'utf8')
      expect(text, file).not.toMatch(/scrypt:|passwordHash|maxDataSize|storeTimeout|useStorefrontSession|hashSessionId/)
      expect(text, file).not.toContain(TEST_SECRET)
    }
  })
})
