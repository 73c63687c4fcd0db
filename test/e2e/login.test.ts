import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { TEST_SECRET, startFixtureServer } from '../helpers/server'
import type { RpcResponse, SeenBody, Shopper } from '../helpers/shopper'
import { createShopper } from '../helpers/shopper'

// Login on Redis: the exactly-once merge under each policy, races, fixation, per-user session index, shops, and a
// scan of every response body this file received for credentials.

const ALICE = { email: 'alice@example.com', password: 'alice-secret-1' }
const BOB = { email: 'bob@example.com', password: 'bob-secret-1' }
const ALICE_USER = { id: 'u1', email: 'alice@example.com', firstName: 'Alice', lastName: 'Martin' }
const BOB_USER = { id: 'u2', email: 'bob@example.com', firstName: 'Bob', lastName: 'Schneider' }
const NO_MERGE = { merged: false, linesAdded: 0, linesCombined: 0, linesCapped: 0, linesDropped: 0, unitsAdded: 0, wishlistAdded: 0 }

const seen: SeenBody[] = []
let redis: RedisProcess
let server: FixtureServer

const env = (extra: Record<string, string> = {}) => ({ REDIS_URL: redis.url, ...extra })
const shopper = () => createShopper(server, { seen })

/** Restarts the server with these settings on an empty Redis. */
async function freshStart(extra: Record<string, string> = {}) {
  await server.stop()
  const client = redis.client()
  try {
    await client.flushall()
  }
  finally {
    client.disconnect()
  }
  await server.restart(env(extra))
}

beforeAll(async () => {
  redis = await startRedis()
  server = await startFixtureServer('playground', env())
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

function ok(response: RpcResponse) {
  expect(response.status, JSON.stringify(response.body)).toBe(200)
  return response.body
}

async function login(s: Shopper, credentials = ALICE, shop?: string) {
  return ok(await s.rpc('login', credentials, { shop }))
}

async function loggedIn(credentials = ALICE, shop?: string) {
  const s = shopper()
  await login(s, credentials, shop)
  return s
}

async function fill(s: Shopper, lines: [number, number][], products: number[] = []) {
  for (const [variantId, quantity] of lines) ok(await s.rpc('addItemToBasket', { variantId, quantity }))
  for (const productId of products) ok(await s.rpc('addItemToWishlist', { productId }))
}

const basketOf = async (s: Shopper, shop?: string) => ok(await s.rpc('getBasket', undefined, { shop })).items
const wishlistOf = async (s: Shopper, shop?: string) => ok(await s.rpc('getWishlist', undefined, { shop })).items
const userOf = async (s: Shopper, shop?: string) => ok(await s.rpc('getUser', undefined, { shop })).user

/** A shopper that presents someone else's raw cookie. */
function withCookie(pair: string, shop = '1001') {
  const s = shopper()
  s.setCookie(shop, pair)
  return s
}

describe('merge on login', () => {
  // The user has 101×60, 201×3, 301×5 and products 1, 2; the guest brings 101×50, 201×5, 401×4 and products 2, 3.
  const policies = [
    {
      policy: 'sum',
      basket: [[101, 99], [201, 8], [301, 5], [401, 4]],
      report: { linesAdded: 1, linesCombined: 2, linesCapped: 1, linesDropped: 0, unitsAdded: 39 + 5 + 4 },
    },
    {
      policy: 'max',
      basket: [[101, 60], [201, 5], [301, 5], [401, 4]],
      report: { linesAdded: 1, linesCombined: 2, linesCapped: 0, linesDropped: 0, unitsAdded: 0 + 2 + 4 },
    },
    {
      policy: 'keep-user',
      basket: [[101, 60], [201, 3], [301, 5], [401, 4]],
      report: { linesAdded: 1, linesCombined: 2, linesCapped: 0, linesDropped: 0, unitsAdded: 4 },
    },
  ] as const

  it.each(policies)('merges the basket under the $policy policy, capped at 99, and the wishlist as a union', async ({ policy, basket, report }) => {
    await freshStart({ NUXT_STOREFRONT_COMMERCE_MERGE_POLICY: policy })
    const device = await loggedIn()
    await fill(device, [[101, 60], [201, 3], [301, 5]], [1, 2])
    const guest = shopper()
    await fill(guest, [[101, 50], [201, 5], [401, 4]], [2, 3])
    const guestCookie = guest.cookie()!

    const result = await login(guest)
    expect(result).toEqual({ user: ALICE_USER, merge: { merged: true, ...report, wishlistAdded: 1 } })
    // The playground flashes the report to the next request (whichever it is), once.
    expect(ok(await guest.rpc('getFlash')).notice).toBe(`Welcome back, Alice: ${report.unitsAdded} items from your guest basket were added, and 1 saved product was added to your wishlist`)
    expect(ok(await guest.rpc('getFlash')).notice).toBeNull()

    const expected = basket.map(([variantId, quantity]) => ({ variantId, quantity }))
    expect(await basketOf(guest)).toEqual(expected)
    expect(await basketOf(device)).toEqual(expected)
    expect(await wishlistOf(guest)).toEqual([{ productId: 1 }, { productId: 2 }, { productId: 3 }])
    expect(await wishlistOf(device)).toEqual([{ productId: 1 }, { productId: 2 }, { productId: 3 }])
    // The guest's own data is gone with the guest session.
    const old = withCookie(guestCookie)
    expect(await basketOf(old)).toEqual([])
    expect(await wishlistOf(old)).toEqual([])
  })
})

describe('exactly once', () => {
  beforeAll(async () => {
    await freshStart()
  })

  it.each([2, 3, 5])('merges once when %i logins race with the same guest cookie', async (racers) => {
    const variant = 600 + racers * 100
    const bob = await loggedIn(BOB)
    await fill(bob, [[variant + 1, 1]])
    const guest = shopper()
    await fill(guest, [[variant + 1, 3], [variant + 2, 2]], [10 + racers])
    const before = await basketOf(bob)

    const jars = Array.from({ length: racers }, () => withCookie(guest.cookie()!))
    const responses = await Promise.all(jars.map(jar => jar.rpc('login', BOB)))
    for (const response of responses) expect(response.status, JSON.stringify(response.body)).toBe(200)
    const merges = responses.map(response => response.body.merge)
    const merged = merges.filter(merge => merge.merged)
    expect(merged).toEqual([{ merged: true, linesAdded: 1, linesCombined: 1, linesCapped: 0, linesDropped: 0, unitsAdded: 5, wishlistAdded: 1 }])
    expect(merges.filter(merge => !merge.merged)).toEqual(Array.from({ length: racers - 1 }, () => NO_MERGE))

    // The guest's quantities were added exactly once: 1 + 3 on the shared line, and the new line once.
    expect(before).toContainEqual({ variantId: variant + 1, quantity: 1 })
    expect(await basketOf(bob)).toEqual([
      ...before.map((line: { variantId: number }) => line.variantId === variant + 1 ? { variantId: variant + 1, quantity: 4 } : line),
      { variantId: variant + 2, quantity: 2 },
    ])
    expect((await wishlistOf(bob)).filter((item: { productId: number }) => item.productId === 10 + racers)).toHaveLength(1)
    for (const jar of jars) expect(await userOf(jar)).toEqual(BOB_USER)
  })

  it('merges nothing when a login is retried after it succeeded', async () => {
    const guest = shopper()
    await fill(guest, [[901, 2]], [20])
    const guestCookie = guest.cookie()!
    expect((await login(guest, BOB)).merge).toMatchObject({ merged: true, unitsAdded: 2, wishlistAdded: 1 })
    const basket = await basketOf(guest)
    const wishlist = await wishlistOf(guest)

    // The same guest cookie again (a retry after a lost response), then the logged-in jar logging in again.
    expect((await login(withCookie(guestCookie), BOB)).merge).toEqual(NO_MERGE)
    expect((await login(guest, BOB)).merge).toEqual(NO_MERGE)
    expect(await basketOf(guest)).toEqual(basket)
    expect(await wishlistOf(guest)).toEqual(wishlist)
  })
})

describe('fixation', () => {
  it('makes the guest cookie from before the login a guest afterwards, also when it was planted', async () => {
    const attacker = shopper()
    ok(await attacker.rpc('addItemToBasket', { variantId: 1101, quantity: 1 }))
    const planted = attacker.cookie()!
    const victim = withCookie(planted)
    ok(await victim.rpc('addItemToBasket', { variantId: 1102, quantity: 2 }))
    await login(victim)
    expect(victim.cookie()).not.toBe(planted)
    expect(decodeURIComponent(victim.cookie()!)).toMatch(/^\$session-1001=s:u1:/)
    const aliceBasket = await basketOf(victim)
    expect(aliceBasket).toEqual(expect.arrayContaining([{ variantId: 1101, quantity: 1 }, { variantId: 1102, quantity: 2 }]))

    expect(await userOf(attacker)).toBeNull()
    expect(await basketOf(attacker)).toEqual([])
    expect(await wishlistOf(attacker)).toEqual([])
    expect((await attacker.rpc('listSessions')).status).toBe(401)
    expect((await attacker.rpc('updateUser', { firstName: 'Mallory' })).status).toBe(401)
    // A write with the dead cookie is refused (409, session ended) and the cookie cleared; a retry starts another guest.
    // Either way it never reaches the user's basket.
    const refused = await attacker.rpc('addItemToBasket', { variantId: 1201, quantity: 1 })
    expect(refused.status).toBe(409)
    expect(refused.body).toMatchObject({ code: 'session-ended' })
    expect(attacker.cookie()).toBeUndefined()
    ok(await attacker.rpc('addItemToBasket', { variantId: 1201, quantity: 1 }))
    expect(attacker.cookie()).not.toBe(planted)
    expect(await basketOf(victim)).toEqual(aliceBasket)
    expect(await userOf(victim)).toEqual(ALICE_USER)
  })

  it('makes the user cookie a guest after logout, for every later request', async () => {
    const alice = await loggedIn()
    const other = await loggedIn()
    ok(await alice.rpc('addItemToBasket', { variantId: 1301, quantity: 1 }))
    const cookie = alice.cookie()!
    ok(await alice.rpc('logout'))
    const replay = withCookie(cookie)
    expect(await userOf(replay)).toBeNull()
    expect(await basketOf(replay)).toEqual([])
    expect((await replay.rpc('updateUser', { firstName: 'Mallory' })).status).toBe(401)
    expect((await replay.rpc('listSessions')).status).toBe(401)
    expect((await replay.rpc('logoutOtherDevices')).status).toBe(401)
    // Only that session ended.
    expect(await userOf(other)).toEqual(ALICE_USER)
    expect(await basketOf(other)).toContainEqual({ variantId: 1301, quantity: 1 })
  })

  it('ends the previous user\'s session when another user logs in on the same browser', async () => {
    const jar = await loggedIn()
    const aliceCookie = jar.cookie()!
    const result = await login(jar, BOB)
    expect(result).toEqual({ user: BOB_USER, merge: NO_MERGE })
    expect(decodeURIComponent(jar.cookie()!)).toMatch(/^\$session-1001=s:u2:/)
    expect(await userOf(jar)).toEqual(BOB_USER)
    expect(await userOf(withCookie(aliceCookie))).toBeNull()
  })
})

describe('sessions of a user (destroySessionsForUserId through logoutOtherDevices)', () => {
  it('lists three sessions with one current, destroys the two others, and keeps the current one', async () => {
    const jar1 = await loggedIn()
    // Sessions earlier tests left behind go first.
    ok(await jar1.rpc('logoutOtherDevices'))
    const jar2 = await loggedIn()
    const jar3 = await loggedIn()
    const bob = await loggedIn(BOB)

    for (const [jar, index] of [[jar1, 0], [jar2, 1], [jar3, 2]] as const) {
      const { sessions } = ok(await jar.rpc('listSessions'))
      expect(sessions).toHaveLength(3)
      expect(sessions.map((s: { current: boolean }) => s.current)).toEqual([0, 1, 2].map(i => i === index))
    }

    expect(ok(await jar1.rpc('logoutOtherDevices'))).toEqual({ destroyed: 2 })
    expect(await userOf(jar2)).toBeNull()
    expect(await userOf(jar3)).toBeNull()
    expect((await jar2.rpc('listSessions')).status).toBe(401)
    expect(await userOf(jar1)).toEqual(ALICE_USER)
    expect(ok(await jar1.rpc('listSessions')).sessions).toEqual([expect.objectContaining({ current: true })])
    expect(await userOf(bob)).toEqual(BOB_USER)
    expect(ok(await jar1.rpc('logoutOtherDevices'))).toEqual({ destroyed: 0 })
  })

  it('drops a logged-out session from the listing', async () => {
    const jar1 = await loggedIn()
    ok(await jar1.rpc('logoutOtherDevices'))
    const jar2 = await loggedIn()
    expect(ok(await jar1.rpc('listSessions')).sessions).toHaveLength(2)
    ok(await jar2.rpc('logout'))
    expect(ok(await jar1.rpc('listSessions')).sessions).toEqual([expect.objectContaining({ current: true })])
  })
})

describe('shops', () => {
  it('keeps logins, baskets and session lists of shops 1001 and 1002 apart', async () => {
    const s = shopper()
    await login(s, ALICE, '1002')
    expect(s.cookie('1002')).toBeDefined()
    expect(s.cookie('1001')).toBeUndefined()
    expect(await userOf(s, '1002')).toEqual(ALICE_USER)
    expect(await userOf(s, '1001')).toBeNull()
    expect((await s.rpc('listSessions', undefined, { shop: '1001' })).status).toBe(401)

    ok(await s.rpc('addItemToBasket', { variantId: 4702, quantity: 2 }, { shop: '1002' }))
    ok(await s.rpc('addItemToBasket', { variantId: 4801, quantity: 1 }, { shop: '1001' }))
    ok(await s.rpc('addItemToWishlist', { productId: 47 }, { shop: '1002' }))
    expect(await basketOf(s, '1001')).toEqual([{ variantId: 4801, quantity: 1 }])
    expect(await basketOf(s, '1002')).toContainEqual({ variantId: 4702, quantity: 2 })
    expect(await basketOf(s, '1002')).not.toContainEqual(expect.objectContaining({ variantId: 4801 }))
    expect(await wishlistOf(s, '1001')).toEqual([])

    // Alice in shop 1001 has none of it.
    const alice1001 = await loggedIn()
    expect(await basketOf(alice1001)).not.toContainEqual(expect.objectContaining({ variantId: 4702 }))
    expect(await wishlistOf(alice1001)).not.toContainEqual({ productId: 47 })
    const listed1001 = ok(await alice1001.rpc('listSessions')).sessions.length

    // The 1002 cookie presented as the 1001 cookie (same signature secret) is no one in 1001.
    const swapped = withCookie(s.cookie('1002')!.replace('$session-1002=', '$session-1001='))
    expect(await userOf(swapped)).toBeNull()
    expect(await basketOf(swapped)).toEqual([])

    // Logging out other devices in 1002 leaves 1001 alone.
    await loggedIn(ALICE, '1002')
    expect(ok(await s.rpc('logoutOtherDevices', undefined, { shop: '1002' })).destroyed).toBeGreaterThanOrEqual(1)
    expect(await userOf(alice1001)).toEqual(ALICE_USER)
    expect(ok(await alice1001.rpc('listSessions')).sessions).toHaveLength(listed1001)
    expect(await userOf(s, '1002')).toEqual(ALICE_USER)

    // And logging out in 1002 leaves the 1001 login of the same browser alone.
    await login(s, ALICE, '1001')
    ok(await s.rpc('logout', undefined, { shop: '1002' }))
    expect(s.cookie('1002')).toBeUndefined()
    expect(await userOf(s, '1002')).toBeNull()
    expect(await userOf(s, '1001')).toEqual(ALICE_USER)
  })
})

describe('maxSessionsPerUser', () => {
  it('evicts the oldest session when a login would pass the limit', async () => {
    await freshStart({ NUXT_STOREFRONT_MAX_SESSIONS_PER_USER: '2' })
    const a = await loggedIn(BOB)
    const b = await loggedIn(BOB)
    expect(await userOf(a)).toEqual(BOB_USER)
    expect(await userOf(b)).toEqual(BOB_USER)
    const c = await loggedIn(BOB)
    expect(await userOf(a)).toBeNull()
    expect(await userOf(b)).toEqual(BOB_USER)
    expect(await userOf(c)).toEqual(BOB_USER)
    expect(ok(await c.rpc('listSessions')).sessions.map((s: { current: boolean }) => s.current)).toEqual([false, true])
    const d = await loggedIn(BOB)
    expect(await userOf(b)).toBeNull()
    expect(await userOf(c)).toEqual(BOB_USER)
    expect(await userOf(d)).toEqual(BOB_USER)
    // Another user's sessions do not count.
    const alice = await loggedIn(ALICE)
    expect(await userOf(c)).toEqual(BOB_USER)
    expect(await userOf(alice)).toEqual(ALICE_USER)
  })
})

describe('credentials never leave the server', () => {
  const KEY = /token|password|secret|hash/i
  const VALUE = /demo-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|scrypt:|[\w-]{22}:[\w-]{43,}/i
  const LITERALS = [ALICE.password, BOB.password, TEST_SECRET]

  /** Paths in a body whose key, or whose string value, looks like a credential. */
  function findCredentials(value: unknown, path = '$'): string[] {
    if (typeof value === 'string') {
      return VALUE.test(value) || LITERALS.some(literal => value.includes(literal)) ? [`${path} = ${value.slice(0, 80)}`] : []
    }
    if (Array.isArray(value)) return value.flatMap((item, i) => findCredentials(item, `${path}[${i}]`))
    if (value && typeof value === 'object') {
      return Object.entries(value).flatMap(([key, inner]) => [
        ...(KEY.test(key) ? [`${path}.${key}`] : []),
        ...findCredentials(inner, `${path}.${key}`),
      ])
    }
    return []
  }

  it('recognises what it looks for', () => {
    expect(findCredentials({ user: { id: 'u1', accessToken: 'x' } })).toEqual(['$.user.accessToken'])
    expect(findCredentials({ a: [{ passwordHash: 1 }] })).toEqual(['$.a[0].passwordHash'])
    expect(findCredentials({ t: `demo-${crypto.randomUUID()}` })).toHaveLength(1)
    expect(findCredentials({ h: 'scrypt:adVppMpsNC4MD1GFY1WQoA:eIa1PWxmsKkDvX1ezWFyF0lUIa2BiZtqHfrNBVKV_15MvblEmWcyw7a' })).toHaveLength(1)
    expect(findCredentials({ detail: `wrong password ${ALICE.password}` })).toHaveLength(1)
    expect(findCredentials({ user: ALICE_USER, merge: NO_MERGE, sessions: [{ current: true, createdAt: 1, lastSeenAt: 1, userAgent: 'node' }] })).toEqual([])
  })

  it('sends no token, password, secret or hash in any response body of this file', () => {
    const logins = seen.filter(entry => entry.method === 'login' && entry.status === 200)
    expect(logins.length).toBeGreaterThan(20)
    expect(seen.filter(entry => entry.method === 'listSessions' && entry.status === 200).length).toBeGreaterThan(5)
    expect(seen.length).toBeGreaterThan(150)
    const found = seen.flatMap(entry => findCredentials(entry.body).map(hit => `${entry.method} ${entry.status}: ${hit}`))
    expect(found).toEqual([])
  })
})
