import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'
import type { RpcResponse, Shopper } from '../helpers/shopper'
import { createShopper } from '../helpers/shopper'

// The playground's RPC contract (issue 3), end to end on the built playground, once per store.

const ALICE = { email: 'alice@example.com', password: 'alice-secret-1' }
const BOB = { email: 'bob@example.com', password: 'bob-secret-1' }
const ALICE_USER = { id: 'u1', email: 'alice@example.com', firstName: 'Alice', lastName: 'Martin' }
const BOB_USER = { id: 'u2', email: 'bob@example.com', firstName: 'Bob', lastName: 'Schneider' }

let redis: RedisProcess

beforeAll(async () => {
  redis = await startRedis()
})

afterAll(async () => {
  await redis?.dispose()
})

/** Asserts a successful RPC answer and returns its body. */
function ok(response: RpcResponse) {
  expect(response.status, JSON.stringify(response.body)).toBe(200)
  expect(response.headers.get('content-type')).toContain('application/json')
  expect(response.headers.get('cache-control')).toBe('private, no-store')
  return response.body
}

/** Asserts an RFC 9457 problem answer with this status, and that its detail matches. */
function problem(response: RpcResponse, status: number, detail?: RegExp) {
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  expect(response.headers.get('content-type')).toContain('application/problem+json')
  expect(response.headers.get('cache-control')).toContain('no-store')
  expect(response.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status })
  expect(JSON.stringify(response.body)).not.toMatch(/\.m?js:\d+|\n\s+at /)
  if (detail) expect(response.body.detail).toMatch(detail)
  return response.body
}

/** Asserts a 400 whose detail and `errors` name the field. */
function invalidField(response: RpcResponse, field: string) {
  const body = problem(response, 400, new RegExp(`\\b${field}\\b`))
  expect(body.errors.map((error: { path: string }) => error.path)).toContain(field)
}

/**
 * Streams a chunked body of 16 KB chunks on a raw connection until the server answers, then finishes the body and sends
 * a second request on the same connection.
 * @param port the server port
 * @param path the RPC path
 * @returns the first response head, everything received, and what became of the connection: closed by the server,
 *   answered the second request, or hung (neither within 3 s)
 */
async function streamOverLimit(port: number, path: string) {
  const socket = connect(port, '127.0.0.1')
  let received = ''
  let closed = false
  socket.on('data', (data: Buffer) => {
    received += data.toString()
  })
  for (const event of ['end', 'close', 'error']) {
    socket.on(event, () => {
      closed = true
    })
  }
  const until = (condition: () => boolean, ms: number) => new Promise<boolean>((resolve) => {
    const check = () => condition() && done(true)
    const timer = setTimeout(() => done(false), ms)
    const events = ['data', 'end', 'close', 'error'] as const
    function done(value: boolean) {
      clearTimeout(timer)
      for (const event of events) socket.off(event, check)
      resolve(value)
    }
    for (const event of events) socket.on(event, check)
    check()
  })
  const write = (data: string) => new Promise<void>(resolve => socket.write(data, () => resolve()))
  const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`
  const answered = () => received.includes('\r\n\r\n')

  await write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`)
  await write(chunk('{"payload":{"variantId":101,"quantity":1,"note":"'))
  for (let i = 0; i < 64 && !answered() && !closed; i++) await write(chunk('x'.repeat(16 * 1024)))
  await until(() => answered() || closed, 5000)
  const head = received.slice(0, received.indexOf('\r\n\r\n'))
  if (!closed) {
    // Not awaited: a server that stopped reading would never let these writes drain.
    socket.write(`${chunk('"}}')}0\r\n\r\n`)
    socket.write('POST /api/rpc/getUser HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}')
  }
  const settled = await until(() => closed || received.lastIndexOf('HTTP/1.1 ') > 0, 3000)
  const afterwards = !settled ? 'hung' : received.lastIndexOf('HTTP/1.1 ') > 0 ? 'answered' : 'closed'
  socket.destroy()
  return { head, received, afterwards }
}

async function redisKeyCount() {
  const client = redis.client()
  try {
    return await client.dbsize()
  }
  finally {
    client.disconnect()
  }
}

function decodedCookie(shopper: Shopper, shop = '1001') {
  const pair = shopper.cookie(shop)
  return pair === undefined ? undefined : decodeURIComponent(pair)
}

describe.each(['memory', 'redis'] as const)('the RPC contract on the %s store', (store) => {
  let server: FixtureServer
  const env = (): Record<string, string> => store === 'redis' ? { REDIS_URL: redis.url } : {}
  const shopper = (userAgent?: string) => createShopper(server, { userAgent })
  async function loggedIn(credentials = ALICE, userAgent?: string) {
    const s = shopper(userAgent)
    ok(await s.rpc('login', credentials))
    return s
  }

  beforeAll(async () => {
    server = await startFixtureServer('playground', env())
  })

  afterAll(async () => {
    await server?.stop()
  })

  describe('login, getUser, updateUser, logout', () => {
    it('getUser answers user null for a guest and creates no session', async () => {
      const guest = shopper()
      const response = await guest.rpc('getUser')
      expect(ok(response)).toEqual({ user: null })
      expect(response.headers.getSetCookie()).toEqual([])
    })

    it('login returns the user without credentials and sets a user-bound, HttpOnly cookie', async () => {
      const s = shopper()
      const response = await s.rpc('login', ALICE)
      expect(ok(response)).toEqual({
        user: ALICE_USER,
        merge: { merged: false, linesAdded: 0, linesCombined: 0, linesCapped: 0, linesDropped: 0, unitsAdded: 0, wishlistAdded: 0 },
      })
      const header = response.headers.getSetCookie().find(h => h.startsWith('$session-1001='))!
      expect(header).toMatch(/;\s*HttpOnly/i)
      expect(header).toMatch(/;\s*SameSite=Lax/i)
      expect(decodedCookie(s)).toMatch(/^\$session-1001=s:u1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.[\w-]+$/)
      expect(ok(await s.rpc('getUser'))).toEqual({ user: ALICE_USER })
    })

    it('login takes the email in any case and with spaces around it', async () => {
      const s = shopper()
      expect(ok(await s.rpc('login', { email: '  Bob@Example.COM ', password: BOB.password })).user).toEqual(BOB_USER)
      expect(ok(await s.rpc('getUser'))).toEqual({ user: BOB_USER })
    })

    it('login answers wrong credentials with a 401 and no cookie, and keeps an existing login', async () => {
      const guest = shopper()
      for (const credentials of [
        { email: ALICE.email, password: 'wrong' },
        { email: ALICE.email, password: BOB.password },
        { email: 'nobody@example.com', password: ALICE.password },
        { email: ALICE.email, password: `${ALICE.password} ` },
      ]) {
        const response = await guest.rpc('login', credentials)
        problem(response, 401, /wrong email or password/)
        expect(response.headers.getSetCookie()).toEqual([])
      }
      expect(ok(await guest.rpc('getUser'))).toEqual({ user: null })

      const alice = await loggedIn()
      const before = alice.cookie()
      problem(await alice.rpc('login', { email: BOB.email, password: 'wrong' }), 401)
      expect(alice.cookie()).toBe(before)
      expect(ok(await alice.rpc('getUser')).user).toEqual(ALICE_USER)
    })

    it('login answers an invalid payload with a 400 naming the field', async () => {
      const s = shopper()
      invalidField(await s.rpc('login', { email: 'not-an-email', password: 'x' }), 'email')
      invalidField(await s.rpc('login', { email: ALICE.email }), 'password')
      invalidField(await s.rpc('login', { email: ALICE.email, password: '' }), 'password')
      invalidField(await s.rpc('login', { email: 42, password: ALICE.password }), 'email')
      problem(await s.rpc('login'), 400)
      problem(await s.rpc('login', [ALICE.email, ALICE.password]), 400)
      expect(ok(await s.rpc('getUser'))).toEqual({ user: null })
    })

    it('updateUser needs a login', async () => {
      const guest = shopper()
      problem(await guest.rpc('updateUser', { firstName: 'Mallory' }), 401)
      expect(ok(await guest.rpc('getUser'))).toEqual({ user: null })
    })

    it('updateUser changes the names only, trimmed, and validates them', async () => {
      const alice = await loggedIn()
      expect(ok(await alice.rpc('updateUser', { firstName: '  Ally ' }))).toEqual({ user: { ...ALICE_USER, firstName: 'Ally' } })
      expect(ok(await alice.rpc('updateUser', { lastName: 'M.', id: 'u2', email: 'mallory@example.com' }))).toEqual({ user: { ...ALICE_USER, firstName: 'Ally', lastName: 'M.' } })
      invalidField(await alice.rpc('updateUser', { firstName: '' }), 'firstName')
      invalidField(await alice.rpc('updateUser', { firstName: '   ' }), 'firstName')
      invalidField(await alice.rpc('updateUser', { lastName: 'x'.repeat(61) }), 'lastName')
      invalidField(await alice.rpc('updateUser', { firstName: 7 }), 'firstName')
      expect(ok(await alice.rpc('getUser'))).toEqual({ user: { ...ALICE_USER, firstName: 'Ally', lastName: 'M.' } })
    })

    it('logout ends the session, deletes the cookie, and the old cookie is a guest', async () => {
      const alice = await loggedIn()
      const cookie = alice.cookie()!
      const response = await alice.rpc('logout')
      expect(ok(response)).toEqual({ user: null })
      const header = response.headers.getSetCookie().find(h => h.startsWith('$session-1001='))
      expect(header).toMatch(/Max-Age=0/i)
      expect(alice.cookie()).toBeUndefined()
      expect(ok(await alice.rpc('getUser'))).toEqual({ user: null })

      const replay = shopper()
      replay.setCookie('1001', cookie)
      expect(ok(await replay.rpc('getUser'))).toEqual({ user: null })
      problem(await replay.rpc('listSessions'), 401)
    })

    it('logout as a guest answers user null', async () => {
      expect(ok(await shopper().rpc('logout'))).toEqual({ user: null })
      const guest = shopper()
      ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 }))
      expect(ok(await guest.rpc('logout'))).toEqual({ user: null })
      expect(ok(await guest.rpc('getUser'))).toEqual({ user: null })
    })
  })

  describe('basket', () => {
    it('getBasket is empty for a new guest', async () => {
      const response = await shopper().rpc('getBasket')
      expect(ok(response)).toEqual({ items: [] })
      expect(response.headers.getSetCookie()).toEqual([])
    })

    it('addItemToBasket adds a line, adds to an existing line, and caps a line at 99', async () => {
      const guest = shopper()
      expect(ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 2 }))).toEqual({ items: [{ variantId: 101, quantity: 2 }] })
      expect(guest.cookie()).toBeDefined()
      expect(ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 3 })).items).toEqual([{ variantId: 101, quantity: 5 }])
      expect(ok(await guest.rpc('addItemToBasket', { variantId: 5002, quantity: 1 })).items).toEqual([{ variantId: 101, quantity: 5 }, { variantId: 5002, quantity: 1 }])
      expect(ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 98 })).items).toEqual([{ variantId: 101, quantity: 99 }, { variantId: 5002, quantity: 1 }])
      expect(ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 })).items).toEqual([{ variantId: 101, quantity: 99 }, { variantId: 5002, quantity: 1 }])
      expect(ok(await guest.rpc('addItemToBasket', { variantId: 5002, quantity: 99 })).items).toEqual([{ variantId: 101, quantity: 99 }, { variantId: 5002, quantity: 99 }])
      expect(ok(await guest.rpc('getBasket'))).toEqual({ items: [{ variantId: 101, quantity: 99 }, { variantId: 5002, quantity: 99 }] })
    })

    it('a logged-in user\'s basket follows the user to a new login', async () => {
      const first = await loggedIn(BOB)
      const line = ok(await first.rpc('addItemToBasket', { variantId: 4401, quantity: 4 })).items.find((l: { variantId: number }) => l.variantId === 4401)
      expect(line).toEqual({ variantId: 4401, quantity: 4 })
      const second = await loggedIn(BOB)
      expect(ok(await second.rpc('getBasket')).items).toContainEqual({ variantId: 4401, quantity: 4 })
      ok(await second.rpc('removeItemFromBasket', { variantId: 4401 }))
      expect(ok(await first.rpc('getBasket')).items).not.toContainEqual(expect.objectContaining({ variantId: 4401 }))
    })

    it('removeItemFromBasket removes a line; removing an absent line changes nothing', async () => {
      const guest = shopper()
      ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 }))
      ok(await guest.rpc('addItemToBasket', { variantId: 102, quantity: 2 }))
      expect(ok(await guest.rpc('removeItemFromBasket', { variantId: 101 }))).toEqual({ items: [{ variantId: 102, quantity: 2 }] })
      expect(ok(await guest.rpc('removeItemFromBasket', { variantId: 101 }))).toEqual({ items: [{ variantId: 102, quantity: 2 }] })
      expect(ok(await guest.rpc('removeItemFromBasket', { variantId: 9999 }))).toEqual({ items: [{ variantId: 102, quantity: 2 }] })
      expect(ok(await guest.rpc('removeItemFromBasket', { variantId: 102 }))).toEqual({ items: [] })
      expect(ok(await guest.rpc('getBasket'))).toEqual({ items: [] })
      invalidField(await guest.rpc('removeItemFromBasket', { variantId: '102' }), 'variantId')
      invalidField(await guest.rpc('removeItemFromBasket', {}), 'variantId')
    })

    // A quantity past the limit is refused as addItemToBasket refuses it, never quietly cut to 99.
    it('updateItemInBasket sets a quantity up to 99, refuses more as addItemToBasket does, and removes the line at 0', async () => {
      const guest = shopper()
      expect(ok(await guest.rpc('updateItemInBasket', { variantId: 201, quantity: 7 }))).toEqual({ items: [{ variantId: 201, quantity: 7 }] })
      expect(ok(await guest.rpc('updateItemInBasket', { variantId: 201, quantity: 3 })).items).toEqual([{ variantId: 201, quantity: 3 }])
      expect(ok(await guest.rpc('updateItemInBasket', { variantId: 201, quantity: 99 })).items).toEqual([{ variantId: 201, quantity: 99 }])
      for (const quantity of [100, 150, 999, 1000, Number.MAX_SAFE_INTEGER]) {
        invalidField(await guest.rpc('updateItemInBasket', { variantId: 201, quantity }), 'quantity')
        invalidField(await guest.rpc('addItemToBasket', { variantId: 201, quantity }), 'quantity')
      }
      expect(ok(await guest.rpc('getBasket')).items).toEqual([{ variantId: 201, quantity: 99 }])
      expect(ok(await guest.rpc('updateItemInBasket', { variantId: 201, quantity: 0 })).items).toEqual([])
      invalidField(await guest.rpc('updateItemInBasket', { variantId: 201, quantity: -1 }), 'quantity')
      invalidField(await guest.rpc('updateItemInBasket', { variantId: 201, quantity: 2.5 }), 'quantity')
      invalidField(await guest.rpc('updateItemInBasket', { variantId: 'x', quantity: 1 }), 'variantId')
      expect(ok(await guest.rpc('getBasket'))).toEqual({ items: [] })
    })

    it('updateItemInBasket refuses an unknown variant, as addItemToBasket does', async () => {
      const guest = shopper()
      ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 }))
      const response = await guest.rpc('updateItemInBasket', { variantId: 999_999, quantity: 5 })
      expect([400, 404]).toContain(response.status)
      expect(ok(await guest.rpc('getBasket'))).toEqual({ items: [{ variantId: 101, quantity: 1 }] })
    })

    it('addItemToBasket answers invalid quantities and variant types with a 400 naming the field, and changes nothing', async () => {
      const guest = shopper()
      for (const [payload, field] of [
        [{ variantId: 101, quantity: 0 }, 'quantity'],
        [{ variantId: 101, quantity: 100 }, 'quantity'],
        [{ variantId: 101, quantity: -3 }, 'quantity'],
        [{ variantId: 101, quantity: 1.5 }, 'quantity'],
        [{ variantId: 101, quantity: '2' }, 'quantity'],
        [{ variantId: 101 }, 'quantity'],
        [{ variantId: '101', quantity: 1 }, 'variantId'],
        [{ variantId: null, quantity: 1 }, 'variantId'],
        [{ variantId: 101.5, quantity: 1 }, 'variantId'],
        [{ variantId: [101], quantity: 1 }, 'variantId'],
        [{ quantity: 1 }, 'variantId'],
      ] as const) {
        const response = await guest.rpc('addItemToBasket', payload)
        invalidField(response, field)
        expect(response.headers.getSetCookie()).toEqual([])
      }
      problem(await guest.rpc('addItemToBasket'), 400)
      problem(await guest.rpc('addItemToBasket', 'variant 101'), 400)
      expect(guest.cookie()).toBeUndefined()
      expect(ok(await guest.rpc('getBasket'))).toEqual({ items: [] })
    })

    it('addItemToBasket answers an unknown variant with a 404 (or 400), and changes nothing', async () => {
      const guest = shopper()
      ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 }))
      for (const variantId of [103, 100, 5101, 5103, 9_999_999, 0, -101]) {
        const response = await guest.rpc('addItemToBasket', { variantId, quantity: 1 })
        expect([400, 404], `variant ${variantId}`).toContain(response.status)
        problem(response, response.status, /variant/i)
      }
      expect(ok(await guest.rpc('getBasket'))).toEqual({ items: [{ variantId: 101, quantity: 1 }] })
    })
  })

  describe('wishlist', () => {
    it('getWishlist is empty for a new guest; addItemToWishlist is idempotent; removeItemFromWishlist removes', async () => {
      const guest = shopper()
      const empty = await guest.rpc('getWishlist')
      expect(ok(empty)).toEqual({ items: [] })
      expect(empty.headers.getSetCookie()).toEqual([])
      expect(ok(await guest.rpc('addItemToWishlist', { productId: 1 }))).toEqual({ items: [{ productId: 1 }] })
      expect(ok(await guest.rpc('addItemToWishlist', { productId: 1 }))).toEqual({ items: [{ productId: 1 }] })
      expect(ok(await guest.rpc('addItemToWishlist', { productId: 2 }))).toEqual({ items: [{ productId: 1 }, { productId: 2 }] })
      expect(ok(await guest.rpc('addItemToWishlist', { productId: 1 }))).toEqual({ items: [{ productId: 1 }, { productId: 2 }] })
      expect(ok(await guest.rpc('getWishlist'))).toEqual({ items: [{ productId: 1 }, { productId: 2 }] })
      expect(ok(await guest.rpc('removeItemFromWishlist', { productId: 1 }))).toEqual({ items: [{ productId: 2 }] })
      expect(ok(await guest.rpc('removeItemFromWishlist', { productId: 1 }))).toEqual({ items: [{ productId: 2 }] })
      expect(ok(await guest.rpc('getWishlist'))).toEqual({ items: [{ productId: 2 }] })
    })

    it('addItemToWishlist and removeItemFromWishlist answer an invalid productId with a 400 naming it', async () => {
      const guest = shopper()
      for (const method of ['addItemToWishlist', 'removeItemFromWishlist']) {
        for (const payload of [{ productId: 0 }, { productId: '1' }, { productId: 1.5 }, {}]) {
          invalidField(await guest.rpc(method, payload), 'productId')
        }
      }
      expect(ok(await guest.rpc('getWishlist'))).toEqual({ items: [] })
    })
  })

  describe('sessions', () => {
    it('listSessions and logoutOtherDevices answer a guest with a 401', async () => {
      const guest = shopper()
      problem(await guest.rpc('listSessions'), 401)
      problem(await guest.rpc('logoutOtherDevices'), 401)
      ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 }))
      problem(await guest.rpc('listSessions'), 401)
      problem(await guest.rpc('logoutOtherDevices'), 401)
    })

    it('listSessions shows the current session with its metadata only; logoutOtherDevices alone destroys none', async () => {
      const started = Date.now()
      const alice = await loggedIn(ALICE, 'rpc-test/1.0 (list)')
      // Sessions other tests left behind go first, so that the listing below is exactly this one.
      ok(await alice.rpc('logoutOtherDevices'))
      const { sessions } = ok(await alice.rpc('listSessions'))
      expect(sessions).toHaveLength(1)
      expect(Object.keys(sessions[0]).sort()).toEqual(['browser', 'createdAt', 'current', 'device', 'handle', 'label', 'lastSeenAt', 'os', 'userAgent'])
      expect(sessions[0]).toMatchObject({ current: true, userAgent: 'rpc-test/1.0 (list)', label: '' })
      expect(sessions[0].createdAt).toBeGreaterThanOrEqual(started - 1000)
      expect(sessions[0].lastSeenAt).toBeGreaterThanOrEqual(sessions[0].createdAt)
      expect(sessions[0].lastSeenAt).toBeLessThanOrEqual(Date.now() + 1000)
      expect(ok(await alice.rpc('logoutOtherDevices'))).toEqual({ destroyed: 0 })
      expect(ok(await alice.rpc('getUser')).user).toEqual(ALICE_USER)
    })

    it('logoutOtherDevices destroys the user\'s other sessions only', async () => {
      const bob = await loggedIn(BOB)
      const other = await loggedIn(BOB)
      const alice = await loggedIn(ALICE)
      const { destroyed } = ok(await bob.rpc('logoutOtherDevices'))
      expect(destroyed).toBeGreaterThanOrEqual(1)
      expect(ok(await other.rpc('getUser'))).toEqual({ user: null })
      expect(ok(await bob.rpc('getUser')).user).toEqual(BOB_USER)
      expect(ok(await alice.rpc('getUser')).user).toEqual(ALICE_USER)
      expect(ok(await bob.rpc('listSessions')).sessions).toEqual([expect.objectContaining({ current: true })])
    })
  })

  describe('devices: handles and revokeSession', () => {
    const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'
    const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'

    it('lists each device with an opaque per-user handle and its parsed user agent, and revokes exactly one', async () => {
      const desktop = await loggedIn(BOB, FIREFOX)
      ok(await desktop.rpc('logoutOtherDevices'))
      const phone = await loggedIn(BOB, IPHONE)
      const third = await loggedIn(BOB, 'rpc-test/1.0 (third)')
      const { sessions } = ok(await desktop.rpc('listSessions'))
      expect(sessions).toHaveLength(3)
      const byAgent = (ua: string) => sessions.find((entry: { userAgent: string }) => entry.userAgent === ua)
      expect(byAgent(FIREFOX)).toMatchObject({ current: true, browser: 'Firefox', os: 'Windows', device: 'desktop' })
      expect(byAgent(IPHONE)).toMatchObject({ current: false, browser: 'Safari', os: 'iOS', device: 'mobile' })
      // The handle is neither the session id, nor its store hash, nor a part of the cookie.
      for (const entry of sessions) {
        expect(entry.handle).toMatch(/^[\w-]{22}$/)
        for (const jar of [desktop, phone, third]) {
          const value = decodedCookie(jar)!.split('=').slice(1).join('=')
          const id = value.slice(2, value.lastIndexOf('.'))
          expect(value).not.toContain(entry.handle)
          expect(createHash('sha256').update(id).digest('hex')).not.toContain(entry.handle)
          expect(createHash('sha256').update(id).digest('base64url')).not.toContain(entry.handle)
        }
      }
      // Another user cannot use Bob's handle.
      const alice = await loggedIn(ALICE)
      problem(await alice.rpc('revokeSession', { handle: byAgent(IPHONE).handle }), 404)
      expect(ok(await phone.rpc('getUser')).user).toEqual(BOB_USER)
      problem(await desktop.rpc('revokeSession', { handle: 'x'.repeat(65) }), 400)
      problem(await shopper().rpc('revokeSession', { handle: byAgent(IPHONE).handle }), 401)

      expect(ok(await desktop.rpc('revokeSession', { handle: byAgent(IPHONE).handle }))).toEqual({ revoked: true })
      expect(ok(await phone.rpc('getUser'))).toEqual({ user: null })
      expect(ok(await third.rpc('getUser')).user).toEqual(BOB_USER)
      expect(ok(await desktop.rpc('getUser')).user).toEqual(BOB_USER)
      const after = ok(await desktop.rpc('listSessions')).sessions
      expect(after.map((entry: { userAgent: string }) => entry.userAgent).sort()).toEqual([FIREFOX, 'rpc-test/1.0 (third)'].sort())
      // A revoked handle is gone: a second revoke is a 404.
      problem(await desktop.rpc('revokeSession', { handle: byAgent(IPHONE).handle }), 404)
    })
  })

  describe('failed requests and 401s', () => {
    it('a guest\'s first write that fails stores no session and sets no cookie', async () => {
      const guest = shopper()
      const before = await redisKeyCount()
      const refused = await guest.rpc('addItemToBasket', { variantId: 999_999, quantity: 1 })
      problem(refused, 404, /unknown variant/)
      expect(refused.headers.getSetCookie()).toEqual([])
      expect(guest.cookie()).toBeUndefined()
      if (store === 'redis') expect(await redisKeyCount()).toBe(before)
      // The next, valid write works as a first write.
      ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 }))
      expect(guest.cookie()).toBeDefined()
    })

    it('a 401 carries a WWW-Authenticate challenge, over RPC and from requireStorefrontUser in a plain route', async () => {
      const refused = await shopper().rpc('listSessions')
      problem(refused, 401)
      expect(refused.headers.get('www-authenticate')).toBe('Cookie realm="storefront", cookie-name="$session-1001"')
      const route = await server.fetch('/api/orders')
      expect(route.status).toBe(401)
      expect(route.headers.get('content-type')).toContain('application/problem+json')
      expect(route.headers.get('www-authenticate')).toMatch(/^Cookie realm="storefront"/)
      expect(await route.json()).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'not logged in' })
      const alice = await loggedIn(ALICE)
      const allowed = await server.fetch('/api/orders', { headers: { cookie: alice.cookieHeader() } })
      expect(allowed.status).toBe(200)
      expect(await allowed.json()).toEqual({ email: 'alice@example.com', orders: [] })
    })
  })

  describe('the HTTP surface', () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      server.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    const asRpc = async (response: Response): Promise<RpcResponse> => {
      const text = await response.text()
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined }
    }

    it('answers an unknown method with a 404', async () => {
      const guest = shopper()
      for (const name of ['nope', 'getuser', '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'getUser.json', '..%2FgetUser', 'require-user']) {
        problem(await guest.rpc(name), 404, /unknown RPC method/)
      }
    })

    it('answers /api/rpc with no method name, and RPC and form paths with doubled slashes, with a 404 problem', async () => {
      for (const path of ['/api/rpc', '/api/rpc/', '/api/rpc?payload=%7B%7D', '//api/rpc/getUser', '/api//rpc/getUser', '/api/form', '//api/form/login']) {
        for (const method of ['GET', 'POST']) {
          const response = await asRpc(method === 'POST' ? await post(path, '{"payload":{}}') : await server.fetch(path, { headers: { accept: 'text/html' } }))
          expect(response.status, `${method} ${path}`).toBe(404)
          expect(response.headers.get('content-type'), `${method} ${path}`).toContain('application/problem+json')
          expect(response.body).toMatchObject({ status: 404, title: expect.any(String) })
        }
      }
    })

    it('answers GET, PUT and DELETE with a 405 and Allow: POST, and runs nothing', async () => {
      const guest = shopper()
      ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 }))
      const cookie = guest.cookieHeader()
      const payload = encodeURIComponent(JSON.stringify({ variantId: 101, quantity: 5 }))
      for (const [method, name] of [['GET', 'getUser'], ['GET', `addItemToBasket?payload=${payload}`], ['PUT', 'addItemToBasket'], ['DELETE', 'logout'], ['PATCH', 'getBasket']] as const) {
        const response = await asRpc(await server.fetch(`/api/rpc/${name}`, {
          method,
          headers: { 'content-type': 'application/json', cookie },
          body: method === 'GET' ? undefined : JSON.stringify({ payload: { variantId: 101, quantity: 5 } }),
        }))
        problem(response, 405, new RegExp(method))
        expect(response.headers.get('allow')).toBe('POST')
      }
      expect(ok(await guest.rpc('getBasket'))).toEqual({ items: [{ variantId: 101, quantity: 1 }] })
      expect(ok(await guest.rpc('getUser'))).toEqual({ user: null })
    })

    it('answers a body that is not JSON, or not an object, with a 400', async () => {
      for (const body of ['{bad', '{"payload":', '[1, 2]', '"payload"', 'null', '42']) {
        problem(await asRpc(await post('/api/rpc/getUser', body)), 400)
      }
    })

    it('never quotes a body that is not JSON in its 400 (a password stays out of the answer), and takes a BOM', async () => {
      for (const body of ['{"payload":{"email":"a@example.com","password":"hunter2-secret"', '{"payload":{"password":"hunter2-secret" x}}', 'hunter2-secret']) {
        const refused = problem(await asRpc(await post('/api/rpc/login', body)), 400, /^invalid JSON/)
        expect(JSON.stringify(refused)).not.toContain('hunter2')
      }
      // RFC 8259 lets a parser ignore a byte order mark before the text.
      expect((await asRpc(await post('/api/rpc/getUser', `\uFEFF${JSON.stringify({ payload: {} })}`))).status).toBe(200)
    })

    it('takes a body with Content-Length that arrives after the head, in pieces', async () => {
      // Expect: 100-continue holds the body back until the server has taken the head and started the handler, so the
      // handler finds no body yet and has to wait for it.
      const body = JSON.stringify({ payload: { variantId: 101, quantity: 2 } })
      const socket = connect(server.port, '127.0.0.1')
      let received = ''
      const arrived = (text: string) => new Promise<void>((resolve) => {
        const check = () => {
          if (!received.includes(text)) return
          socket.off('data', check)
          resolve()
        }
        socket.on('data', check)
      })
      socket.on('data', (data: Buffer) => {
        received += data.toString()
      })
      const write = (data: string) => new Promise<void>(resolve => socket.write(data, () => resolve()))
      const head = `POST /api/rpc/addItemToBasket HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`
      const continued = arrived('100 Continue\r\n\r\n')
      await write(head)
      await continued
      await write(body.slice(0, 10))
      await write(body.slice(10))
      await new Promise(resolve => socket.once('close', resolve))
      expect(received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /)
      expect(received).toContain('{"items":[{"variantId":101,"quantity":2}]}')
    })

    it('reads a body of `{}` (what useRpc sends without params) as no params, as it reads `{ }`', async () => {
      for (const body of ['{}', '{ }', '{"payload":null}']) {
        expect(ok(await asRpc(await post('/api/rpc/getUser', body)))).toEqual({ user: null })
        problem(await asRpc(await post('/api/rpc/addItemToBasket', body)), 400, /invalid payload: expected an object/)
      }
    })

    it('answers a POST that is not application/json with a 415', async () => {
      const body = JSON.stringify({ payload: ALICE })
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', undefined]) {
        const response = await asRpc(await server.fetch('/api/rpc/login', { method: 'POST', headers: type ? { 'content-type': type } : {}, body }))
        problem(response, 415, /application\/json/)
        expect(response.headers.getSetCookie()).toEqual([])
      }
      expect(ok(await asRpc(await post('/api/rpc/getUser', '{}', { 'content-type': 'Application/JSON; charset=utf-8' })))).toEqual({ user: null })
    })

    it('CSRF: a cross-site form post can neither log in nor change a basket', async () => {
      const victim = shopper()
      ok(await victim.rpc('addItemToBasket', { variantId: 101, quantity: 1 }))
      const cookie = victim.cookie()
      const crossSite = { origin: 'https://evil.example', referer: 'https://evil.example/page' }
      const form = new URLSearchParams({ payload: JSON.stringify({ variantId: 101, quantity: 50 }) }).toString()
      problem(await victim.send('addItemToBasket', { headers: { ...crossSite, 'content-type': 'application/x-www-form-urlencoded' }, body: form }), 415)
      problem(await victim.send('addItemToBasket', { headers: { ...crossSite, 'content-type': 'text/plain' }, body: JSON.stringify({ payload: { variantId: 101, quantity: 50 } }) }), 415)
      const login = await victim.send('login', { headers: { ...crossSite, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email: BOB.email, password: BOB.password }).toString() })
      problem(login, 415)
      expect(login.headers.getSetCookie()).toEqual([])
      expect(victim.cookie()).toBe(cookie)
      expect(ok(await victim.rpc('getBasket'))).toEqual({ items: [{ variantId: 101, quantity: 1 }] })
      expect(ok(await victim.rpc('getUser'))).toEqual({ user: null })
    })

    it('answers a body over 100 KB with a 413 when its length is declared', async () => {
      const guest = shopper()
      const big = JSON.stringify({ payload: { variantId: 101, quantity: 1, note: 'x'.repeat(101 * 1024) } })
      problem(await guest.send('addItemToBasket', { headers: { 'content-type': 'application/json' }, body: big }), 413, /larger than 102400 bytes/)
      // Just under the limit is accepted (unknown payload fields are dropped by the schema).
      const under = JSON.stringify({ payload: { variantId: 101, quantity: 1, note: 'x'.repeat(99 * 1024) } })
      expect(ok(await guest.send('addItemToBasket', { headers: { 'content-type': 'application/json' }, body: under }))).toEqual({ items: [{ variantId: 101, quantity: 1 }] })
    })

    it('answers a streamed (chunked) body over 100 KB with a 413, then closes or keeps serving the connection', async () => {
      const result = await streamOverLimit(server.port, '/api/rpc/addItemToBasket')
      expect(result.head).toMatch(/^HTTP\/1\.1 413 /)
      expect(result.head).toMatch(/content-type: application\/problem\+json/i)
      expect(result.received).toContain('larger than 102400 bytes')
      // A client still uploading must not be left hanging on a connection that nobody reads any more.
      expect(result.afterwards).not.toBe('hung')
    })

    it('strips prototype-pollution keys from a payload: the add is normal and nothing is polluted', async () => {
      const guest = shopper()
      const json = { 'content-type': 'application/json' }
      const polluting = await guest.send('addItemToBasket', { headers: json, body: '{"payload":{"__proto__":{"polluted":1},"variantId":101,"quantity":1}}' })
      expect(ok(polluting)).toEqual({ items: [{ variantId: 101, quantity: 1 }] })
      // Had `__proto__` become the payload's prototype, it would supply the missing quantity.
      invalidField(await guest.send('addItemToBasket', { headers: json, body: '{"payload":{"__proto__":{"quantity":50},"variantId":102}}' }), 'quantity')
      invalidField(await guest.send('addItemToBasket', { headers: json, body: '{"payload":{"constructor":{"prototype":{"quantity":7}},"variantId":102}}' }), 'quantity')
      problem(await guest.send('addItemToBasket', { headers: json, body: '{"__proto__":{"payload":{"variantId":102,"quantity":1}}}' }), 400)
      // A follow-up call behaves normally: no global prototype supplies a quantity or a user.
      invalidField(await guest.rpc('addItemToBasket', { variantId: 102 }), 'quantity')
      expect(ok(await guest.rpc('getBasket'))).toEqual({ items: [{ variantId: 101, quantity: 1 }] })
      expect(ok(await guest.rpc('getUser'))).toEqual({ user: null })
      expect(ok(await guest.rpc('addItemToBasket', { variantId: 101, quantity: 2 }))).toEqual({ items: [{ variantId: 101, quantity: 3 }] })
      expect(JSON.stringify(guest.seen)).not.toContain('polluted')
    })

    it('answers an unknown x-shop-id with a 400', async () => {
      problem(await shopper().rpc('getUser', undefined, { shop: '9999' }), 400, /9999/)
    })

    it('sends Cache-Control: private, no-store on every method\'s answer', async () => {
      // ok() checks the header on every successful call in this file; this test makes sure every method is called.
      const s = shopper()
      const calls: [string, unknown?][] = [
        ['getUser'], ['getBasket'], ['getWishlist'], ['addItemToBasket', { variantId: 101, quantity: 1 }],
        ['updateItemInBasket', { variantId: 101, quantity: 2 }], ['removeItemFromBasket', { variantId: 101 }],
        ['addItemToWishlist', { productId: 3 }], ['removeItemFromWishlist', { productId: 3 }], ['login', BOB],
        ['updateUser', { firstName: 'Bob' }], ['listSessions'], ['logoutOtherDevices'], ['logout'],
      ]
      for (const [name, payload] of calls) {
        const response = await s.rpc(name, payload)
        ok(response)
        expect(response.headers.get('cache-control'), name).toBe('private, no-store')
      }
    })

    it('answers a body over a configured NUXT_STOREFRONT_RPC_BODY_LIMIT with a 413', async () => {
      await server.restart({ ...env(), NUXT_STOREFRONT_RPC_BODY_LIMIT: '512' })
      const guest = shopper()
      const json = { 'content-type': 'application/json' }
      problem(await guest.send('addItemToBasket', { headers: json, body: JSON.stringify({ payload: { variantId: 101, quantity: 1, note: 'x'.repeat(600) } }) }), 413, /512 bytes/)
      expect(ok(await guest.send('addItemToBasket', { headers: json, body: JSON.stringify({ payload: { variantId: 101, quantity: 1, note: 'x'.repeat(400) } }) }))).toEqual({ items: [{ variantId: 101, quantity: 1 }] })
    })
  })
})
