import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, setCookiePair } from '../helpers/cookies'
import { cookieId, signCookieValue } from '../helpers/fuzz'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { runFixtureExpectingExit, startFixtureServer, TEST_SECRET } from '../helpers/server'

// Bearer sessions (issue 19), against the built basic fixture on a real redis-server. Shop 1001 accepts bearer
// sessions through NUXT_STOREFRONT_SHOPS_1001_SESSION_TRANSPORTS, set when the built server starts; shop 1002
// (x-shop-id: 1002) keeps the default, cookie only. The app client is plain fetch that never stores a cookie.

const ALLOWED_ORIGIN = 'https://shop.example'
const APP_AGENT = 'StorefrontApp/2.1 (iPhone; iOS 18.1)'
const NEW_SECRET = 'rotated-secret-9876543210-zyxwvutsrqponmlk'
let redis: RedisProcess
let server: FixtureServer
let env: Record<string, string>
/** Every token the server issued in this file: none may show up in a log or a cookie. */
const issued = new Set<string>()

beforeAll(async () => {
  redis = await startRedis()
  env = {
    NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
    NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url,
    NUXT_STOREFRONT_SHOPS_1001_SESSION_TRANSPORTS: 'cookie,bearer',
    NUXT_STOREFRONT_RPC_ALLOWED_ORIGINS: JSON.stringify([ALLOWED_ORIGIN]),
  }
  server = await startFixtureServer('basic', env)
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

type Answer = Awaited<ReturnType<typeof readAnswer>>

/** A native app: sends its token (once it has one) and asks for bearer transport; keeps whatever token it is given. */
function createApp() {
  const app = {
    token: undefined as string | undefined,
    async call(path: string, init: RequestInit = {}, headers: Record<string, string> = {}): Promise<Answer> {
      const response = await server.fetch(path, {
        ...init,
        headers: {
          'user-agent': APP_AGENT,
          'x-storefront-transport': 'bearer',
          ...app.token ? { authorization: `Bearer ${app.token}` } : {},
          ...init.headers as Record<string, string>,
          ...headers,
        },
      })
      const answer = await readAnswer(response)
      if (answer.token !== null) {
        if (answer.token) issued.add(answer.token)
        app.token = answer.token || undefined
      }
      return answer
    },
    rpc(name: string, payload?: unknown, headers: Record<string, string> = {}) {
      return app.call(`/api/rpc/${name}`, postJson(payload === undefined ? {} : { payload }), headers)
    },
  }
  return app
}

/** A browser: keeps the shop's cookie. */
function createBrowser(shopId = '1001') {
  const browser = {
    cookie: undefined as string | undefined,
    async rpc(name: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
      const response = await server.fetch(`/api/rpc/${name}`, postJson(payload === undefined ? {} : { payload }, {
        'x-shop-id': shopId,
        ...browser.cookie ? { cookie: browser.cookie } : {},
        ...headers,
      }))
      const pair = setCookiePair(response, `$session-${shopId}`)
      if (pair) browser.cookie = pair
      return readAnswer(response)
    },
  }
  return browser
}

async function readAnswer(response: Response) {
  const text = await response.text()
  return {
    status: response.status,
    body: text ? JSON.parse(text) : undefined,
    token: response.headers.get('x-storefront-session-token'),
    setCookies: response.headers.getSetCookie(),
    type: response.headers.get('content-type'),
    challenge: response.headers.get('www-authenticate'),
  }
}

const quantityOf = (answer: Answer, variantId: number) => (answer.body.items as { variantId: number, quantity: number }[]).find(line => line.variantId === variantId)?.quantity

describe('an app client without cookies', () => {
  it('gets a guest session on its first write only, logs in with one merge, builds a basket, shows up among the devices and is revoked from the browser', async () => {
    const browser = createBrowser()
    expect((await browser.rpc('loginAs', { userId: 'app-user' })).status).toBe(200)
    expect((await browser.rpc('addItemToBasket', { variantId: 7, quantity: 1 })).status).toBe(200)

    const app = createApp()
    // Reads make no session: no token.
    const read = await app.rpc('getBasket')
    expect(read.status).toBe(200)
    expect(read.token).toBeNull()
    expect(read.setCookies).toEqual([])

    const added = await app.rpc('addItemToBasket', { variantId: 7, quantity: 2 })
    expect(added.status).toBe(200)
    expect(added.setCookies).toEqual([])
    const guestToken = added.token
    expect(guestToken).toMatch(/^s:[\w-]+\.[\w-]{43}$/)
    expect(quantityOf(await app.rpc('getBasket'), 7)).toBe(2)

    const login = await app.rpc('loginAs', { userId: 'app-user' })
    expect(login.status).toBe(200)
    expect(login.setCookies).toEqual([])
    // The login re-issues the session under the user: the new token reaches the client the same way.
    expect(login.token).toMatch(/^s:app-user:[\w-]+\.[\w-]{43}$/)
    expect(login.token).not.toBe(guestToken)
    // Merged once (sum): 1 from the user's basket, 2 from the guest's; again on the next reads.
    expect(quantityOf(await app.rpc('getBasket'), 7)).toBe(3)
    expect(quantityOf(await app.rpc('getBasket'), 7)).toBe(3)
    expect(quantityOf(await browser.rpc('getBasket'), 7)).toBe(3)
    // The guest token died with the login.
    const stale = await server.fetch('/api/rpc/getUser', postJson({}, { authorization: `Bearer ${guestToken}` }))
    expect((await stale.json()).user).toBeNull()

    expect((await app.rpc('addItemToBasket', { variantId: 9, quantity: 4 })).status).toBe(200)
    expect(quantityOf(await browser.rpc('getBasket'), 9)).toBe(4)

    const listed = await browser.rpc('listSessions')
    expect(listed.status).toBe(200)
    const sessions = listed.body.sessions as { handle: string, current: boolean, userAgent: string, os: string }[]
    expect(sessions).toHaveLength(2)
    const device = sessions.find(session => !session.current)!
    expect(device.userAgent).toBe(APP_AGENT)
    expect(device.os).toBe('iOS')
    // The app sees the same list, with itself as the current session.
    const fromApp = (await app.rpc('listSessions')).body.sessions as { handle: string, current: boolean }[]
    expect(fromApp.find(session => session.current)!.handle).toBe(device.handle)

    const appToken = app.token!
    expect((await browser.rpc('revokeSession', { handle: device.handle })).status).toBe(200)
    const after = await app.rpc('listSessions')
    expect(after.status).toBe(401)
    expect(after.type).toContain('application/problem+json')
    expect(after.challenge).toBe('Bearer realm="storefront"')
    expect((await app.rpc('getUser')).body.user).toBeNull()
    // A write with the revoked token is refused as with a dead cookie, and tells the client to drop its token.
    const write = await app.call('/api/rpc/addItemToBasket', postJson({ payload: { variantId: 1, quantity: 1 } }), { authorization: `Bearer ${appToken}` })
    expect(write.status).toBe(409)
    expect(write.token).toBe('')
    // The browser session is untouched.
    expect((await browser.rpc('getUser')).body.user.id).toBe('app-user')
  })

  it('gets the new token from a regenerate, and the old one stops working', async () => {
    const app = createApp()
    await app.rpc('loginAs', { userId: 'regen-user' })
    const before = app.token!
    const regenerated = await app.call('/api/session/regenerate', { method: 'POST' })
    expect(regenerated.status).toBe(200)
    expect(regenerated.token).toMatch(/^s:regen-user:/)
    expect(regenerated.token).not.toBe(before)
    expect((await app.rpc('getUser')).body.user.id).toBe('regen-user')
    const old = await server.fetch('/api/rpc/getUser', postJson({}, { authorization: `Bearer ${before}` }))
    expect((await old.json()).user).toBeNull()
  })

  it('is told to drop its token on logout', async () => {
    const app = createApp()
    await app.rpc('loginAs', { userId: 'logout-user' })
    const token = app.token!
    const logout = await app.rpc('logout')
    expect(logout.status).toBeLessThan(300)
    expect(logout.token).toBe('')
    expect(logout.setCookies).toEqual([])
    const old = await server.fetch('/api/rpc/listSessions', postJson({}, { authorization: `Bearer ${token}` }))
    expect(old.status).toBe(401)
  })
})

describe('bearer requests and the cookie', () => {
  it('answers a cookie and a token of different sessions with a 400 problem, and takes them when they agree', async () => {
    const browser = createBrowser()
    await browser.rpc('loginAs', { userId: 'mixed-user' })
    const app = createApp()
    await app.rpc('loginAs', { userId: 'mixed-user' })
    const mixed = await app.rpc('getUser', undefined, { cookie: browser.cookie! })
    expect(mixed.status).toBe(400)
    expect(mixed.type).toContain('application/problem+json')
    expect(mixed.body.detail).toContain('different sessions')
    // A forged token next to a valid cookie is no better.
    const forged = await server.fetch('/api/rpc/getUser', postJson({}, { cookie: browser.cookie!, authorization: `Bearer ${app.token!.slice(0, -2)}xx` }))
    expect(forged.status).toBe(400)
    // A cookie that does not verify names no session, as it would alone: the token decides.
    for (const cookie of [`${browser.cookie!.slice(0, -3)}xyz`, '$session-1001=garbage', '$session-1001=']) {
      const tampered = await server.fetch('/api/rpc/getUser', postJson({}, { cookie, authorization: `Bearer ${app.token!}` }))
      expect(tampered.status, cookie).toBe(200)
      expect((await tampered.json()).user.id).toBe('mixed-user')
    }
    // The same session as a cookie and as a token is one session.
    const value = decodeURIComponent(browser.cookie!.split('=').slice(1).join('='))
    const same = await server.fetch('/api/rpc/getUser', postJson({}, { cookie: browser.cookie!, authorization: `Bearer ${value}` }))
    expect(same.status).toBe(200)
    expect((await same.json()).user.id).toBe('mixed-user')
  })

  it('does not apply the cookie Origin check to a bearer call', async () => {
    const browser = createBrowser()
    await browser.rpc('loginAs', { userId: 'origin-user' })
    const app = createApp()
    await app.rpc('loginAs', { userId: 'origin-user' })
    const foreign = { origin: 'https://evil.example' }
    expect((await browser.rpc('addItemToBasket', { variantId: 3, quantity: 1 }, foreign)).status).toBe(403)
    expect((await app.rpc('addItemToBasket', { variantId: 3, quantity: 1 }, foreign)).status).toBe(200)
    // Asking for bearer transport is not enough: a cookie-authenticated call is still checked.
    expect((await browser.rpc('addItemToBasket', { variantId: 3, quantity: 1 }, { ...foreign, 'x-storefront-transport': 'bearer' })).status).toBe(403)
  })

  it('never turns a cookie into a readable token: a request with the cookie is answered with the cookie', async () => {
    const browser = createBrowser()
    const guest = await browser.rpc('addItemToBasket', { variantId: 5, quantity: 1 })
    expect(guest.status).toBe(200)
    const cookieBefore = browser.cookie
    // A script in the page that asks for bearer transport on the login (a re-issue) still gets a cookie, no token.
    const login = await browser.rpc('loginAs', { userId: 'cookie-to-token' }, { 'x-storefront-transport': 'bearer' })
    expect(login.status).toBe(200)
    expect(login.token).toBeNull()
    expect(browser.cookie).not.toBe(cookieBefore)
    const regenerated = await server.fetch('/api/session/regenerate', { method: 'POST', headers: { 'cookie': browser.cookie!, 'x-storefront-transport': 'BEARER' } })
    expect(regenerated.headers.get('x-storefront-session-token')).toBeNull()
    expect(setCookiePair(regenerated, '$session-1001')).toBeDefined()
  })

  it('treats malformed, forged and unknown tokens as no session: a 401 where a user is required, never a 5xx', async () => {
    const app = createApp()
    await app.rpc('loginAs', { userId: 'forge-user' })
    const valid = app.token!
    const [id, signature] = [valid.slice(0, valid.lastIndexOf('.')), valid.slice(valid.lastIndexOf('.') + 1)]
    const bad = [
      'garbage',
      '',
      's:',
      `${id}.${signature.split('').reverse().join('')}`,
      `s:other-user:${id.split(':').at(-1)}.${signature}`,
      `${valid};${valid}`,
      `${valid} trailing`,
      'x'.repeat(5000),
    ]
    for (const token of bad) {
      const response = await server.fetch('/api/rpc/listSessions', postJson({}, { authorization: `Bearer ${token}` }))
      expect(response.status, token.slice(0, 40)).toBe(401)
      expect(response.headers.get('content-type')).toContain('application/problem+json')
    }
    const lowerCase = await server.fetch('/api/rpc/getUser', postJson({}, { authorization: `bearer ${valid}` }))
    expect((await lowerCase.json()).user.id).toBe('forge-user')
  })
})

describe('a cookie-only shop', () => {
  it('ignores the bearer headers: a login sets the cookie, and a token is not read', async () => {
    const browser = createBrowser('1002')
    const login = await browser.rpc('loginAs', { userId: 'cookie-only' }, { 'x-storefront-transport': 'bearer' })
    expect(login.status).toBe(200)
    expect(login.token).toBeNull()
    expect(browser.cookie).toBeDefined()
    const value = decodeURIComponent(browser.cookie!.split('=').slice(1).join('='))
    const asBearer = await server.fetch('/api/rpc/listSessions', postJson({}, { 'x-shop-id': '1002', 'authorization': `Bearer ${value}` }))
    expect(asBearer.status).toBe(401)
    // With the cookie, the Authorization header is not looked at: no 400 for a token of another session.
    const both = await server.fetch('/api/rpc/getUser', postJson({}, { 'x-shop-id': '1002', 'cookie': browser.cookie!, 'authorization': 'Bearer s:other.x' }))
    expect(both.status).toBe(200)
    expect((await both.json()).user.id).toBe('cookie-only')
  })
})

describe('configuration', () => {
  it('refuses to start with an unknown transport, naming the option and its variable', async () => {
    const result = await runFixtureExpectingExit('basic', { NUXT_STOREFRONT_SESSION_SECRET: TEST_SECRET, NUXT_STOREFRONT_SHOPS_1002_SESSION_TRANSPORTS: 'cookie,jwt' })
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('shops.1002.session.transports "cookie,jwt" is invalid')
    expect(result.output).toContain('(set NUXT_STOREFRONT_SHOPS_1002_SESSION_TRANSPORTS)')
  })
})

describe('secrecy', () => {
  it('never logs a token or sets it as a cookie', async () => {
    expect(issued.size).toBeGreaterThan(5)
    const logs = server.logs()
    for (const token of issued) {
      expect(logs).not.toContain(token)
      expect(logs).not.toContain(encodeURIComponent(token))
    }
  })
})

// Last: it restarts the server.
describe('secret rotation', () => {
  it('keeps a token of the old secret valid, and the next re-issue signs with the new one', async () => {
    const app = createApp()
    await app.rpc('loginAs', { userId: 'rotate-user' })
    const old = app.token!
    expect(old).toBe(signCookieValue(cookieId(old), TEST_SECRET))
    await server.restart({ ...env, NUXT_STOREFRONT_SESSION_SECRET: JSON.stringify([TEST_SECRET, NEW_SECRET]) })
    expect((await app.rpc('getUser')).body.user.id).toBe('rotate-user')
    const regenerated = await app.call('/api/session/regenerate', { method: 'POST' })
    expect(regenerated.token).toBe(signCookieValue(cookieId(regenerated.token!), NEW_SECRET))
    expect((await app.rpc('getUser')).body.user.id).toBe('rotate-user')
    // Once the old secret is retired, its tokens are no session at all.
    await server.restart({ ...env, NUXT_STOREFRONT_SESSION_SECRET: NEW_SECRET })
    const retired = await server.fetch('/api/rpc/listSessions', postJson({}, { authorization: `Bearer ${signCookieValue(cookieId(regenerated.token!), TEST_SECRET)}` }))
    expect(retired.status).toBe(401)
    expect((await app.rpc('getUser')).body.user.id).toBe('rotate-user')
    expect(server.logs()).not.toContain(app.token!)
  })
})
