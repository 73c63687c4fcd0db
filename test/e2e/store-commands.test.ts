import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { CommandCount } from '../helpers/redis-count'
import { countCommands } from '../helpers/redis-count'
import type { RoundTripProxy } from '../helpers/redis-proxy'
import { startRoundTripProxy } from '../helpers/redis-proxy'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'
import type { RpcResponse, Shopper } from '../helpers/shopper'
import { createShopper } from '../helpers/shopper'

// What login, logout, destroySessionsForUserId and getUser cost on Redis: round trips counted by a TCP proxy between
// the server and redis-server, commands counted by redis-server itself (INFO commandstats, script calls included).
// Each scenario runs once unmeasured first, so that script loading (EVALSHA → NOSCRIPT → EVAL) is not counted.

const ALICE = { email: 'alice@example.com', password: 'alice-secret-1' }
const BOB = { email: 'bob@example.com', password: 'bob-secret-1' }

let redis: RedisProcess
let proxy: RoundTripProxy
let server: FixtureServer

beforeAll(async () => {
  redis = await startRedis()
  proxy = await startRoundTripProxy(redis.port)
  server = await startFixtureServer('playground', { REDIS_URL: proxy.url })
  // The server creates its stores once it listens; their connections' handshakes and the eviction-policy check sent
  // once connected (INFO memory) would otherwise fall into the first measured request: a guest's write and read go
  // through both connections (writing and reading) first.
  const guest = createShopper(server)
  expect((await guest.rpc('addItemToBasket', { variantId: 101, quantity: 1 })).status).toBe(200)
  expect((await guest.rpc('getUser')).status).toBe(200)
})

afterAll(async () => {
  await server?.stop()
  await proxy?.close()
  await redis?.dispose()
})

interface Measured { response: RpcResponse, roundTrips: number, count: CommandCount }

/**
 * Runs one request and counts what it cost. The proxy is reset right before the request and read right after its
 * response, so that only the request's own round trips are counted; the previous request has completed by then.
 */
async function measure(label: string, request: () => Promise<RpcResponse>): Promise<Measured> {
  let response: RpcResponse | undefined
  let roundTrips = 0
  const count = await countCommands(redis, async () => {
    proxy.reset()
    response = await request()
    roundTrips = proxy.roundTrips()
  })
  const commands = Object.entries(count.byCommand).sort(([a], [b]) => a.localeCompare(b)).map(([name, calls]) => `${name} ${calls}`).join(', ')
  console.log(`[measure] ${label}: ${roundTrips} round trips, ${count.total} commands (${commands || 'none'}), ${count.writes} writes`)
  expect(response!.status, JSON.stringify(response!.body)).toBe(200)
  return { response: response!, roundTrips, count }
}

const shopper = () => createShopper(server)

async function loggedIn(credentials: typeof ALICE) {
  const s = shopper()
  expect((await s.rpc('login', credentials)).status).toBe(200)
  return s
}

async function guestWithLines(lines: number) {
  const guest = shopper()
  for (let product = 1; product <= lines; product++) {
    expect((await guest.rpc('addItemToBasket', { variantId: product * 100 + 1, quantity: product })).status).toBe(200)
  }
  return guest
}

/** Logs `sessions` jars of a user in; the first one has logged every earlier session of the user out. */
async function sessionsOf(credentials: typeof ALICE, sessions: number): Promise<Shopper[]> {
  const first = await loggedIn(credentials)
  expect((await first.rpc('logoutOtherDevices')).status).toBe(200)
  const jars = [first]
  for (let i = 1; i < sessions; i++) jars.push(await loggedIn(credentials))
  return jars
}

describe('store commands per RPC call on Redis', () => {
  it('costs nothing for an anonymous getUser without a cookie', async () => {
    await shopper().rpc('getUser')
    const { response, roundTrips, count } = await measure('anonymous getUser, no cookie', () => shopper().rpc('getUser'))
    expect(response.body).toEqual({ user: null })
    expect(roundTrips).toBe(0)
    expect(count.total).toBe(0)
  })

  it('costs nothing for a removal by a guest without a cookie: no session is made, no cookie set', async () => {
    const calls: [string, Record<string, number>][] = [
      ['removeItemFromBasket', { variantId: 101 }],
      ['updateItemInBasket', { variantId: 101, quantity: 0 }],
      ['removeItemFromWishlist', { productId: 1 }],
    ]
    for (const [name, params] of calls) {
      const guest = shopper()
      const { response, roundTrips, count } = await measure(`cookieless ${name}`, () => guest.rpc(name, params))
      expect(response.status, name).toBe(200)
      expect(response.body, name).toEqual({ items: [] })
      expect(response.headers.getSetCookie(), name).toEqual([])
      expect(roundTrips, name).toBe(0)
      expect(count.total, name).toBe(0)
    }
  })

  // The user's record rides in the session's read: one MGET of both keys (same hash tag), one round trip.
  it('costs one round trip, one MGET of the session and the user record, and no write for a logged-in getUser', async () => {
    const alice = await loggedIn(ALICE)
    await alice.rpc('getUser')
    const { response, roundTrips, count } = await measure('logged-in getUser', () => alice.rpc('getUser'))
    expect(response.body.user.id).toBe('u1')
    expect(roundTrips).toBe(1)
    expect(count.byCommand).toEqual({ mget: 1 })
    expect(count.writes).toBe(0)
  })

  it('costs at most 4 round trips for a login with a guest basket of 5 lines', async () => {
    await loggedIn(BOB).then(async () => (await guestWithLines(5)).rpc('login', BOB))
    const guest = await guestWithLines(5)
    const { response, roundTrips, count } = await measure('login with a guest basket of 5 lines', () => guest.rpc('login', ALICE))
    expect(response.body.merge).toMatchObject({ merged: true, linesAdded: 5, unitsAdded: 15 })
    // The playground's login calls limitLoginAttempts first: its two counters (one INCR script each, sent together)
    // are one round trip more, counted apart from the module's login.
    expect(count.byCommand.incr).toBe(2)
    // The session's read; the claim of the guest with the read of its lists; the merge of both lists into the user's;
    // the save, with the guest session's end and the cleanup of its data and lock in the same round trip.
    expect(roundTrips - 1).toBeLessThanOrEqual(4)
    expect(count.byCommand.scan ?? 0).toBe(0)
    expect(count.byCommand.keys ?? 0).toBe(0)
  })

  it('costs as many round trips for a guest with 50 lines and 20 wishlist items into a user with 50 lines, merged once', async () => {
    const bob = await loggedIn(BOB)
    for (const line of (await bob.rpc('getBasket')).body.items) await bob.rpc('removeItemFromBasket', { variantId: line.variantId })
    for (let product = 1; product <= 50; product++) {
      expect((await bob.rpc('addItemToBasket', { variantId: product * 100 + 2, quantity: 1 })).status).toBe(200)
    }
    const guest = await guestWithLines(50)
    for (let product = 1; product <= 20; product++) expect((await guest.rpc('addItemToWishlist', { productId: product })).status).toBe(200)
    const guestCookie = guest.cookie()!

    const { response, roundTrips, count } = await measure('login with 50 lines and 20 wishlist items into a user with 50 lines', () => guest.rpc('login', BOB))
    expect(response.body.merge).toMatchObject({ merged: true, linesAdded: 50, linesCombined: 0, linesDropped: 0 })
    expect(count.byCommand.incr).toBe(2)
    expect(roundTrips - 1).toBeLessThanOrEqual(4)
    expect((await guest.rpc('getBasket')).body.items).toHaveLength(100)
    // The same guest cookie again (a retry after a lost response): the guest is gone, nothing merges twice.
    const retry = createShopper(server)
    retry.setCookie('1001', guestCookie)
    expect((await retry.rpc('login', BOB)).body.merge).toMatchObject({ merged: false, linesAdded: 0 })
    expect((await guest.rpc('getBasket')).body.items).toHaveLength(100)
  })

  it('costs a constant number of round trips for logout', async () => {
    await (await loggedIn(BOB)).rpc('logout')
    const alice = await loggedIn(ALICE)
    const { response, roundTrips, count } = await measure('logout', () => alice.rpc('logout'))
    expect(response.body).toEqual({ user: null })
    expect(roundTrips).toBeLessThanOrEqual(2)
    expect(count.sent.mget).toBe(1)
    expect(count.byCommand.scan ?? 0).toBe(0)
  })

  it('destroys a user\'s 10 other sessions in as many round trips as 1, without a scan', async () => {
    const small = await sessionsOf(BOB, 2)
    const one = await measure('destroySessionsForUserId, user with 2 sessions (logoutOtherDevices)', () => small[0]!.rpc('logoutOtherDevices'))
    expect(one.response.body).toEqual({ destroyed: 1 })

    const jars = await sessionsOf(ALICE, 11)
    const ten = await measure('destroySessionsForUserId, user with 11 sessions (logoutOtherDevices)', () => jars[0]!.rpc('logoutOtherDevices'))
    expect(ten.response.body).toEqual({ destroyed: 10 })
    expect(ten.roundTrips).toBe(one.roundTrips)
    expect(ten.roundTrips).toBeLessThanOrEqual(2)
    // One DEL of the batch's 10 records (the batch script deletes them in one command), and no more commands than for 1.
    expect(ten.count.byCommand.del).toBe(1)
    expect(ten.count.total).toBe(one.count.total)
    for (const command of ['scan', 'keys', 'sscan', 'zscan', 'hscan']) expect(ten.count.byCommand[command] ?? 0).toBe(0)
    for (const jar of jars.slice(1)) expect((await jar.rpc('getUser')).body).toEqual({ user: null })
    expect((await jars[0]!.rpc('getUser')).body.user.id).toBe('u1')
  })
})
