import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson } from '../helpers/cookies'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'
import type { Shopper } from '../helpers/shopper'
import { createShopper } from '../helpers/shopper'

// The account server utils called from plain server/api routes (test/fixtures/basic/server/api/account/), against the
// built basic fixture on a real redis-server: getStorefrontUser, requireStorefrontUser (the 401 problem+json with its
// challenge), loginStorefrontUser (new session id, basket merged once), listSessionsForUserId (paged),
// destroySessionsForUserId (keeping this session), revoke and label by handle, and logoutStorefrontUser.

let redis: RedisProcess
let server: FixtureServer

beforeAll(async () => {
  redis = await startRedis()
  server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url })
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

/** Calls a plain route with the shopper's cookies and keeps (or drops) the session cookie it sets. */
async function route(shopper: Shopper, path: string, init: RequestInit = {}) {
  const cookie = shopper.cookieHeader()
  const response = await server.fetch(`/api/account/${path}`, { ...init, headers: { ...init.headers as Record<string, string>, ...cookie ? { cookie } : {} } })
  for (const header of response.headers.getSetCookie()) {
    if (!header.startsWith('$session-1001=')) continue
    const pair = header.split(';')[0]!
    const cleared = pair === '$session-1001=' || /max-age=0(?:;|$)/i.test(header)
    shopper.setCookie('1001', cleared ? undefined : pair)
  }
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined }
}

/** A GET with exactly the given headers (Node's fetch would add its own Sec-Fetch-Mode). */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number, body: string, cookie?: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: server.port, path, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode!, body, cookie: response.headers['set-cookie']?.find(header => header.startsWith('$session-1001=')) }))
    })
    request.on('error', reject)
    request.end()
  })
}

const login = (shopper: Shopper, userId: string, label?: string) => route(shopper, 'login', postJson({ userId, label }))

async function loggedIn(userId: string, label?: string) {
  const shopper = createShopper(server)
  expect((await login(shopper, userId, label)).status).toBe(200)
  return shopper
}

const basketOf = async (shopper: Shopper) => (await shopper.rpc('getBasket')).body.items as { variantId: number, quantity: number }[]

describe('account server utils from a plain route', () => {
  it('answers a guest with the one 401: problem+json and a WWW-Authenticate challenge', async () => {
    const guest = createShopper(server)
    expect(await route(guest, 'user')).toMatchObject({ status: 200, body: { user: null } })
    const denied = await route(guest, 'me')
    expect(denied.status).toBe(401)
    expect(denied.headers.get('content-type')).toContain('application/problem+json')
    expect(denied.headers.get('www-authenticate')).toBe('Cookie realm="storefront", cookie-name="$session-1001"')
    expect(denied.body).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'not logged in' })
    // The RPC methods that need a login answer with the same problem.
    const rpc = await guest.rpc('listSessions')
    expect(rpc.status).toBe(401)
    expect(rpc.headers.get('www-authenticate')).toBe(denied.headers.get('www-authenticate'))
    expect(rpc.body).toEqual(denied.body)
    // The app's own status and message.
    const members = await route(guest, 'members')
    expect(members.status).toBe(403)
    expect(members.headers.get('www-authenticate')).toBeNull()
    expect(members.body).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'members only' })
  })

  it('logs in from a route: a new session id, the guest basket merged once, the user readable by every util', async () => {
    const shopper = createShopper(server)
    expect((await shopper.rpc('addItemToBasket', { variantId: 11, quantity: 2 })).status).toBe(200)
    const guestCookie = shopper.cookie()!
    const first = await login(shopper, 'route-user-1')
    expect(first.status).toBe(200)
    expect(first.body.user).toEqual({ id: 'route-user-1' })
    expect(first.body.merge).toMatchObject({ merged: true, linesAdded: 1, unitsAdded: 2 })
    // The session was re-issued under the user's id: the guest cookie is no longer the session.
    const userCookie = shopper.cookie()!
    expect(userCookie).not.toBe(guestCookie)
    expect(decodeURIComponent(userCookie)).toContain('route-user-1:')
    expect(await route(shopper, 'user')).toMatchObject({ status: 200, body: { user: { id: 'route-user-1' } } })
    expect(await route(shopper, 'me')).toMatchObject({ status: 200, body: { user: { id: 'route-user-1' } } })
    expect((await shopper.rpc('getUser')).body.user).toEqual({ id: 'route-user-1' })
    expect(await basketOf(shopper)).toEqual([expect.objectContaining({ variantId: 11, quantity: 2 })])
    // The old guest cookie presented again merges nothing a second time.
    const replay = createShopper(server)
    replay.setCookie('1001', guestCookie)
    const second = await login(replay, 'route-user-1')
    expect(second.status).toBe(200)
    expect(second.body.merge.merged).toBe(false)
    expect(await basketOf(shopper)).toEqual([expect.objectContaining({ variantId: 11, quantity: 2 })])
    // The tokens given to the login are sealed in the session, never in a response.
    expect(JSON.stringify(first.body)).not.toContain('token-of-')
  })

  // Login CSRF: another site's form signs the shopper in to the attacker's account, whose basket and addresses the
  // shopper then fills. A plain route is as exposed as the RPC form endpoint, which is same-origin only.
  it('refuses a login, logout or session change another site made the browser send, and takes this site\'s and scripts\'', async () => {
    const shopper = createShopper(server)
    expect((await shopper.rpc('addItemToBasket', { variantId: 12, quantity: 1 })).status).toBe(200)
    const guestCookie = shopper.cookie()!
    const form = (headers: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: 'userId=attacker-1' })
    const crossSite: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site', 'origin': 'https://evil.example' },
      { 'sec-fetch-site': 'same-site', 'origin': 'https://evil.shop.example' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
    ]
    for (const headers of crossSite) {
      const refused = await route(shopper, 'login', form(headers))
      expect(refused.status, JSON.stringify(headers)).toBe(403)
      expect(refused.headers.get('content-type')).toContain('application/problem+json')
      expect(refused.headers.getSetCookie()).toEqual([])
      expect(shopper.cookie()).toBe(guestCookie)
      expect((await route(shopper, 'logout', { method: 'POST', headers })).status).toBe(403)
    }
    expect((await route(shopper, 'user')).body.user).toBeNull()
    expect(await basketOf(shopper)).toEqual([expect.objectContaining({ variantId: 12, quantity: 1 })])
    // This site's own page, a navigation the shopper made, and a script that sends no Origin are taken.
    for (const [userId, headers] of [['same-origin-1', { 'sec-fetch-site': 'same-origin', 'origin': 'https://evil.example' }], ['same-origin-2', { origin: server.url }], ['script-1', {}]] as const) {
      const taken = await route(createShopper(server), 'login', postJson({ userId }, headers))
      expect(taken.status, userId).toBe(200)
    }
    const user = await loggedIn('csrf-user-1')
    expect((await route(user, 'logout', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403)
    expect((await route(user, 'user')).body.user).toEqual({ id: 'csrf-user-1' })
    expect((await route(user, 'destroy-others', { method: 'POST', headers: { origin: 'https://evil.example' } })).status).toBe(403)
    expect((await route(user, 'logout', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(200)
  })

  // An identity provider sends the browser back with a top-level GET: Sec-Fetch-Site is cross-site, and the route
  // checks its own `state`. An image, a fetch or a frame of another site is no such navigation. (Node's fetch sends
  // its own Sec-Fetch-Mode, so these requests go out through node:http, with the headers a browser sends.)
  it('takes a cross-site top-level navigation to a login callback, and refuses a cross-site image, fetch or frame of it', async () => {
    const navigation = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }
    const followed = await rawGet('/api/account/callback?userId=oidc-user-1', navigation)
    expect(followed.status).toBe(200)
    expect(JSON.parse(followed.body).user).toEqual({ id: 'oidc-user-1' })
    expect(followed.cookie).toMatch(/^\$session-1001=/)
    const others = [
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' },
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' },
    ]
    for (const headers of others) {
      const refused = await rawGet('/api/account/callback?userId=oidc-user-2', headers)
      expect(refused.status, JSON.stringify(headers)).toBe(403)
      expect(refused.cookie).toBeUndefined()
    }
  })

  it('rejects a user id the store cannot take with a 400 problem, and leaves the guest as it was', async () => {
    const guest = createShopper(server)
    const bad = await login(guest, 'no spaces allowed')
    expect(bad.status).toBe(400)
    expect(bad.headers.get('content-type')).toContain('application/problem+json')
    expect(bad.body.detail).toContain('invalid user id')
    expect((await route(guest, 'user')).body.user).toBeNull()
  })

  it('lists the devices page by page, labels and revokes one by handle, and destroys the others keeping this one', async () => {
    const devices = await Promise.all(Array.from({ length: 5 }, (_, i) => loggedIn('route-user-2', `device ${i}`)))
    const [self, other] = devices as [Shopper, Shopper]
    const seen: { handle: string, current: boolean, label: string }[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page = await route(self, `sessions?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      expect(page.status).toBe(200)
      expect(page.body.total).toBe(5)
      expect(page.body.sessions.length).toBeLessThanOrEqual(2)
      seen.push(...page.body.sessions)
      cursor = page.body.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(new Set(seen.map(device => device.handle)).size).toBe(5)
    expect(seen.filter(device => device.current).map(device => device.label)).toEqual(['device 0'])
    for (const query of ['limit=0', 'limit=201', 'cursor=nope']) {
      const bad = await route(self, `sessions?${query}`)
      expect(bad.status, query).toBe(400)
      expect(bad.headers.get('content-type'), query).toContain('application/problem+json')
    }

    const handleOf = async (shopper: Shopper) => ((await route(shopper, 'sessions')).body.sessions as { handle: string, current: boolean }[]).find(device => device.current)!.handle
    const otherHandle = await handleOf(other)
    expect((await route(self, 'device', postJson({ handle: otherHandle, label: 'renamed' }))).body).toEqual({ labelled: true })
    expect(((await route(self, 'sessions')).body.sessions as { handle: string, label: string }[]).find(device => device.handle === otherHandle)!.label).toBe('renamed')
    expect((await route(self, 'device', postJson({ handle: otherHandle }))).body).toEqual({ revoked: true })
    expect((await route(other, 'me')).status).toBe(401)
    expect((await route(self, 'device', postJson({ handle: otherHandle }))).body).toEqual({ revoked: false })

    const destroyed = await route(self, 'destroy-others', { method: 'POST' })
    expect(destroyed).toMatchObject({ status: 200, body: { destroyed: 3 } })
    for (const shopper of devices.slice(1)) expect((await route(shopper, 'me')).status).toBe(401)
    expect(await route(self, 'me')).toMatchObject({ status: 200, body: { user: { id: 'route-user-2' } } })
    expect((await route(self, 'sessions')).body.total).toBe(1)
  })

  it('logs out from a route: the session is gone from the store and the cookie cleared', async () => {
    const shopper = await loggedIn('route-user-3')
    const kept = shopper.cookie()!
    expect((await route(shopper, 'logout', { method: 'POST' })).body).toEqual({ ok: true })
    expect(shopper.cookie()).toBeUndefined()
    expect((await route(shopper, 'user')).body.user).toBeNull()
    // The old cookie names a session that no longer exists.
    const stale = createShopper(server)
    stale.setCookie('1001', kept)
    expect((await route(stale, 'me')).status).toBe(401)
    const list = await route(await loggedIn('route-user-3'), 'sessions')
    expect(list.body.total).toBe(1)
  })
})

describe('the playground\'s account routes', () => {
  let playground: FixtureServer
  beforeAll(async () => {
    playground = await startFixtureServer('playground', { REDIS_URL: redis.url })
  })
  afterAll(async () => {
    await playground?.stop()
  })

  /** A browser-like client of the playground: sends and keeps the session cookie of shop 1001. */
  function client() {
    let cookie: string | undefined
    return async (path: string, init: RequestInit = {}) => {
      const response = await playground.fetch(`/api/account/${path}`, { ...init, headers: { ...init.headers as Record<string, string>, ...cookie ? { cookie } : {} } })
      const header = response.headers.getSetCookie().find(value => value.startsWith('$session-1001='))
      if (header) cookie = /max-age=0(?:;|$)/i.test(header) ? undefined : header.split(';')[0]
      return { status: response.status, type: response.headers.get('content-type'), body: await response.json() }
    }
  }
  const credentials = postJson({ email: 'Alice@Example.com ', password: 'alice-secret-1' })

  it('signs in, summarises, ends the other devices and signs out through the utils', async () => {
    const guest = client()
    const denied = await guest('overview')
    expect(denied.status).toBe(401)
    expect(denied.type).toContain('application/problem+json')
    expect((await guest('login', postJson({ email: 'alice@example.com', password: 'wrong' }))).status).toBe(401)

    const laptop = client()
    const phone = client()
    const signedIn = await laptop('login', credentials)
    expect(signedIn).toMatchObject({ status: 200, body: { user: { id: 'u1', firstName: 'Alice' }, notice: 'Welcome back, Alice' } })
    expect((await phone('login', credentials)).status).toBe(200)
    const overview = await laptop('overview')
    expect(overview).toMatchObject({ status: 200, body: { firstName: 'Alice', devices: 2 } })
    expect(overview.body.signedInAt).toBeGreaterThan(Date.now() - 60_000)

    expect(await laptop('logout-elsewhere', { method: 'POST' })).toMatchObject({ status: 200, body: { destroyed: 1 } })
    expect((await phone('overview')).status).toBe(401)
    expect((await laptop('overview')).body.devices).toBe(1)
    expect(await laptop('logout', { method: 'POST' })).toMatchObject({ status: 200, body: { user: null } })
    expect((await laptop('overview')).status).toBe(401)
  })
})
