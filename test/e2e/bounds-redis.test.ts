import { randomUUID } from 'node:crypto'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cookieId } from '../helpers/fuzz'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'
import type { Shopper } from '../helpers/shopper'
import { createShopper } from '../helpers/shopper'
import { parseSessionId } from '../../src/runtime/server/session/id'
import { sessionKeys, userKeys } from '../../src/runtime/server/store'
import { encodeMeta, parseMeta } from '../../src/runtime/server/store/record'

// Bounded under abuse (issue 15), against built servers on a real redis-server: a finite device list per user,
// paged and batched listing and destroy-all at 50,000 sessions, a login limiter, guest commerce data that lives as
// long as the guest session, outages that never look like a logout, a best-effort rolling refresh, quiet logs for
// aborted uploads, and Idempotency-Key on mutating calls.

const ALICE = { email: 'alice@example.com', password: 'alice-secret-1' }
let redis: RedisProcess
const servers: FixtureServer[] = []

beforeAll(async () => {
  redis = await startRedis()
})

afterAll(async () => {
  await Promise.all(servers.map(server => server.stop()))
  await redis?.dispose()
})

async function start(fixture: 'basic' | 'playground', env: Record<string, string> = {}) {
  const store: Record<string, string> = fixture === 'playground'
    ? { REDIS_URL: redis.url }
    : { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url }
  const server = await startFixtureServer(fixture, { ...store, ...env })
  servers.push(server)
  return server
}

async function withClient<T>(work: (client: ReturnType<RedisProcess['client']>) => Promise<T>): Promise<T> {
  const client = redis.client()
  try {
    return await work(client)
  }
  finally {
    client.disconnect()
  }
}

/** The store keys of a shopper's session (the base prefix included). */
function keysOf(shopper: Shopper) {
  const info = parseSessionId(cookieId(shopper.cookie()!.split('=').slice(1).join('=')))!
  const keys = sessionKeys('1001', info)
  return { ...keys, prefixed: (key: string) => `storefront:${key}` }
}

/** The Idempotency-Key records under a shopper's owner (not the session's count of keyed calls, nor a call's claim). */
async function recordsOf(shopper: Shopper): Promise<string[]> {
  const keys = await withClient(client => client.keys(`storefront:${keysOf(shopper).owner}:k:*`))
  return keys.filter(key => !key.includes(':k:n.') && !key.endsWith('.c'))
}

/** The basic fixture on this file's Redis, or on the embedded memory store; stopped after the file. */
async function startOn(kind: 'redis' | 'memory'): Promise<FixtureServer> {
  if (kind === 'redis') return start('basic')
  const server = await startFixtureServer('basic')
  servers.push(server)
  return server
}

/** Polls a condition until it holds, at most `timeoutMs`. */
async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!await condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Durations in µs of the scripts Redis ran since the slow log was reset (every command is logged). */
async function scriptDurations(): Promise<number[]> {
  const entries = await withClient(client => client.call('SLOWLOG', 'GET', '100000')) as [number, number, number, string[]][]
  return entries.filter(entry => /^eval/i.test(String(entry[3][0]))).map(entry => Number(entry[2]))
}

async function resetSlowLog() {
  await withClient(async (client) => {
    await client.config('SET', 'slowlog-log-slower-than', '0')
    await client.config('SET', 'slowlog-max-len', '100000')
    await client.call('SLOWLOG', 'RESET')
  })
}

describe('finding 1: one user cannot stall a server', () => {
  let server: FixtureServer
  beforeAll(async () => {
    server = await start('basic')
  })

  it('keeps at most maxSessionsPerUser (100 by default) sessions per user', async () => {
    const userId = `cap-${randomUUID().slice(0, 8)}`
    for (let i = 0; i < 110; i++) {
      const shopper = createShopper(server)
      expect((await shopper.rpc('loginAs', { userId })).status).toBe(200)
    }
    const indexed = await withClient(client => client.zcard(`storefront:${userKeys('1001', userId).index}`))
    const stored = await withClient(async (client) => {
      let cursor = '0'
      let count = 0
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `storefront:${userKeys('1001', userId).userSessionPrefix}*`, 'COUNT', 1000)
        cursor = next
        count += keys.length
      } while (cursor !== '0')
      return count
    })
    console.log(`[measure] 110 logins of one user: ${indexed} index entries, ${stored} session records`)
    expect(indexed).toBe(100)
    expect(stored).toBe(100)
  })

  it('lists 50,000 sessions a page at a time and destroys them in bounded batches', async () => {
    const userId = `big-${randomUUID().slice(0, 8)}`
    const user = userKeys('1001', userId)
    const now = Date.now()
    // 50,000 sessions in the store's own layout, written straight into Redis.
    await withClient(async (client) => {
      for (let batch = 0; batch < 50; batch++) {
        const pipeline = client.pipeline()
        for (let i = 0; i < 1000; i++) {
          const hash = `seeded${batch}x${i}`.padEnd(43, 'a')
          const expiresAt = now + 3_600_000 + batch * 1000 + i
          const meta = JSON.stringify({ c: now, s: now, e: expiresAt, ua: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' })
          pipeline.set(`storefront:${user.userSessionPrefix}${hash}`, `m\n${meta}`, 'PX', 3_600_000 + 60_000)
          pipeline.zadd(`storefront:${user.index}`, expiresAt, hash)
        }
        await pipeline.exec()
      }
    })
    const alice = createShopper(server)
    expect((await alice.rpc('loginAs', { userId })).status).toBe(200)
    expect(await withClient(client => client.zcard(`storefront:${user.index}`))).toBeGreaterThan(49_000)

    await resetSlowLog()
    const started = performance.now()
    const first = await alice.rpc('listSessions')
    const pageMs = performance.now() - started
    const listScripts = await scriptDurations()
    const pageBytes = JSON.stringify(first.body).length
    console.log(`[measure] listSessions at 50,000 sessions: page of ${first.body.sessions.length} in ${pageMs.toFixed(1)} ms, ${pageBytes} bytes, total ${first.body.total}; scripts in Redis: ${listScripts.map(us => `${(us / 1000).toFixed(2)} ms`).join(', ')}`)
    expect(first.status).toBe(200)
    expect(first.body.sessions).toHaveLength(50)
    expect(first.body.total).toBeGreaterThan(49_000)
    expect(first.body.nextCursor).toEqual(expect.any(String))
    expect(listScripts).toHaveLength(1)
    expect(Math.max(...listScripts)).toBeLessThan(25_000)

    // The next pages follow the cursor, without repeating an entry.
    const seen = new Set(first.body.sessions.map((session: { handle: string }) => session.handle))
    let cursor = first.body.nextCursor
    for (let page = 0; page < 3; page++) {
      const next = await alice.rpc('listSessions', { cursor, limit: 200 })
      expect(next.status).toBe(200)
      expect(next.body.sessions).toHaveLength(200)
      for (const session of next.body.sessions) {
        expect(seen.has(session.handle)).toBe(false)
        seen.add(session.handle)
      }
      cursor = next.body.nextCursor
    }
    expect((await alice.rpc('listSessions', { limit: 5000 })).status).toBe(400)
    expect((await alice.rpc('listSessions', { cursor: 'not-a-cursor' })).status).toBe(400)

    await resetSlowLog()
    const destroyStarted = performance.now()
    const destroyed = await alice.rpc('logoutOtherDevices')
    const destroyMs = performance.now() - destroyStarted
    const destroyScripts = await scriptDurations()
    const longest = Math.max(...destroyScripts)
    console.log(`[measure] destroy-all at 50,000 sessions: ${destroyed.body.destroyed} ended in ${destroyMs.toFixed(0)} ms, ${destroyScripts.length} scripts, longest ${(longest / 1000).toFixed(2)} ms, median ${(destroyScripts.sort((a, b) => a - b)[Math.floor(destroyScripts.length / 2)]! / 1000).toFixed(2)} ms`)
    expect(destroyed.status).toBe(200)
    expect(destroyed.body.destroyed).toBeGreaterThan(49_000)
    expect(destroyScripts.length).toBeGreaterThan(100)
    expect(longest).toBeLessThan(25_000)
    // Every session ended before the answer: only the current one is left.
    expect(await withClient(client => client.zcard(`storefront:${user.index}`))).toBe(1)
    expect(await withClient(client => client.exists(`storefront:${user.userSessionPrefix}${'seeded0x0'.padEnd(43, 'a')}`))).toBe(0)
    expect((await alice.rpc('listSessions')).body).toMatchObject({ total: 1, nextCursor: null })
  }, 120_000)

  it('throttles login attempts per account and per client address with a 429 and Retry-After', async () => {
    // A 120 s window instead of the default 900 s: Retry-After and the counters' lifetime follow it.
    const playground = await start('playground', { NUXT_STOREFRONT_LOGIN_LIMIT_PER_ACCOUNT: '3', NUXT_STOREFRONT_LOGIN_LIMIT_PER_ADDRESS: '6', NUXT_STOREFRONT_LOGIN_LIMIT_WINDOW: '120' })
    const guesser = createShopper(playground)
    const statuses: number[] = []
    let refused: Awaited<ReturnType<Shopper['rpc']>> | undefined
    for (let i = 0; i < 4; i++) {
      const answer = await guesser.rpc('login', { email: 'alice@example.com', password: `guess-${i}` })
      statuses.push(answer.status)
      refused = answer
    }
    expect(statuses).toEqual([401, 401, 401, 429])
    expect(refused!.headers.get('content-type')).toContain('application/problem+json')
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(refused!.headers.get('retry-after'))).toBeLessThanOrEqual(120)
    // Other accounts from the same address: refused past 6 attempts in all.
    const more: number[] = []
    for (let i = 0; i < 3; i++) more.push((await guesser.rpc('login', { email: `someone${i}@example.com`, password: 'x' })).status)
    expect(more).toEqual([401, 401, 429])
    // The account's and the address's counters hold no email or address in clear.
    const keys = await withClient(client => client.keys('storefront:1001:{rl:*'))
    expect(keys.length).toBeGreaterThan(0)
    expect(keys.join(' ')).not.toMatch(/alice|example|127\.0\.0\.1/)
    for (const key of keys) {
      const ttl = await withClient(client => client.pttl(key))
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(120_000)
    }
  })
})

describe('login limits count failed attempts', () => {
  it('gives a login that succeeds its attempt back, and still refuses guesses past the limit', async () => {
    const clearCounters = async () => {
      const counters = await withClient(client => client.keys('storefront:1001:{rl:*'))
      if (counters.length > 0) await withClient(client => client.del(...counters))
    }
    await clearCounters()
    const playground = await start('playground', { NUXT_STOREFRONT_LOGIN_LIMIT_PER_ACCOUNT: '3', NUXT_STOREFRONT_LOGIN_LIMIT_PER_ADDRESS: '6', NUXT_STOREFRONT_LOGIN_LIMIT_WINDOW: '120' })
    // Ten sign-ins with the right password, one device after another: more than both limits, none refused.
    const bob = { email: 'bob@example.com', password: 'bob-secret-1' }
    const signIns: number[] = []
    for (let i = 0; i < 10; i++) signIns.push((await createShopper(playground).rpc('login', bob)).status)
    expect(signIns).toEqual(Array.from({ length: 10 }, () => 200))
    // Both counters are back at 0, in their window (a give-back never leaves a key without expiry).
    const counters = await withClient(client => client.keys('storefront:1001:{rl:*'))
    expect(counters).toHaveLength(2)
    for (const key of counters) {
      expect(await withClient(client => client.get(key))).toBe('0')
      expect(await withClient(client => client.pttl(key))).toBeGreaterThan(0)
    }
    // Guesses count as before: the fourth attempt is refused, the right password included, and a success in between
    // gives back only its own attempt.
    const guesser = createShopper(playground)
    const statuses: number[] = []
    for (const password of ['guess-1', 'guess-2', 'bob-secret-1', 'guess-3', 'bob-secret-1']) {
      statuses.push((await guesser.rpc('login', { email: bob.email, password })).status)
    }
    expect(statuses).toEqual([401, 401, 200, 401, 429])
    await clearCounters()
  })
})

describe('finding 3: guest commerce data lives as long as the guest session', () => {
  it('keeps a guest basket and wishlist in the guest session\'s record, so they share its TTL and its refresh', async () => {
    const server = await start('basic', { NUXT_STOREFRONT_SESSION_REFRESH_INTERVAL: '1' })
    const guest = createShopper(server)
    expect((await guest.rpc('addItemToBasket', { variantId: 7, quantity: 1 })).status).toBe(200)
    expect((await guest.rpc('addItemToWishlist', { productId: 7 })).status).toBe(200)
    const keys = keysOf(guest)
    // One key for the guest: no basket or wishlist key that could outlive the session or be refreshed apart from it.
    expect(await withClient(client => client.exists(keys.prefixed(`${keys.owner}:b`), keys.prefixed(`${keys.owner}:w`)))).toBe(0)
    const record = await withClient(client => client.get(keys.prefixed(keys.session)))
    expect(record).toContain('\nb\n7:1')
    expect(record).toContain('\nw\n7')
    const session = await withClient(client => client.pttl(keys.prefixed(keys.session)))
    console.log(`[measure] guest session TTL: ${session} ms`)
    expect(session).toBeGreaterThan(0)
    expect(session).toBeLessThanOrEqual(86_400_000)
    // Shorten it, then let a rolling refresh (due after 1 s) extend it: the lists are still there.
    await withClient(client => client.pexpire(keys.prefixed(keys.session), 60_000))
    await until(async () => {
      await guest.rpc('getBasket')
      return await withClient(client => client.pttl(keys.prefixed(keys.session))) > 60_000
    })
    expect((await guest.rpc('getBasket')).body.items).toEqual([{ variantId: 7, quantity: 1 }])
  })
})

describe('finding 5: an outage never looks like a logout', () => {
  const expectUnavailablePage = (response: Response) => {
    expect(response.status).toBe(503)
    expect(response.headers.get('content-type')).toContain('text/html')
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('location')).toBeNull()
  }

  it('answers a logged-in shopper\'s /account and / with a 503 while Redis is stopped or hung', async () => {
    const server = await start('playground', { NUXT_STOREFRONT_STORE_TIMEOUT: '500' })
    const alice = createShopper(server)
    expect((await alice.rpc('login', ALICE)).status).toBe(200)
    const page = (path: string) => server.fetch(path, { headers: { cookie: alice.cookieHeader(), accept: 'text/html' } })
    expect((await page('/account')).status).toBe(200)

    // Hung: every client paused.
    await withClient(client => client.call('CLIENT', 'PAUSE', '3000', 'ALL'))
    for (const path of ['/account', '/']) expectUnavailablePage(await page(path))
    await withClient(client => client.call('CLIENT', 'UNPAUSE'))

    // Stopped.
    await redis.stop()
    try {
      for (const path of ['/account', '/']) {
        const response = await page(path)
        expectUnavailablePage(response)
        expect(await response.text()).not.toContain('Sign in')
      }
      // A page asked for without HTML in Accept (fetch's and curl's `*/*`, JSON, none) is a 503 as well: never a
      // guest's page, and as a problem, since HTML was not asked for.
      for (const accept of ['*/*', 'application/json', undefined]) {
        for (const path of ['/account', '/basket', '/']) {
          const response = await server.fetch(path, { headers: { cookie: alice.cookieHeader(), ...(accept ? { accept } : {}) } })
          const body = await response.text()
          expect(response.status, `${path} with Accept ${accept}`).toBe(503)
          expect(Number(response.headers.get('retry-after')), `${path} with Accept ${accept}`).toBeGreaterThan(0)
          expect(response.headers.get('cache-control'), `${path} with Accept ${accept}`).toContain('no-store')
          if (accept) expect(response.headers.get('content-type'), `${path} with Accept ${accept}`).toContain('application/problem+json')
          expect(body).not.toContain('Sign in')
        }
      }
      const api = await alice.rpc('getUser')
      expect(api.status).toBe(503)
      expect(api.headers.get('content-type')).toContain('application/problem+json')
      expect(Number(api.headers.get('retry-after'))).toBeGreaterThan(0)
      // A form without JavaScript goes back to its page with ?error=503, as for any other failure.
      const form = await server.fetch('/api/form/addItemToWishlist', {
        method: 'POST',
        headers: { 'cookie': alice.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
        body: 'productId:number=4&redirect=/wishlist',
      })
      expect(form.status).toBe(303)
      expect(form.headers.get('location')).toBe('/wishlist?error=503')
      expect(form.headers.getSetCookie()).toEqual([])
    }
    finally {
      await redis.start()
    }
    // Back: the page answers again (this Redis keeps no data across a restart, so Alice starts over as a guest).
    await until(async () => (await page('/')).status === 200, 15_000)
  })

  it('renders anonymously, private and no-store, when the app opts in, and still never redirects to the login', async () => {
    const server = await start('playground', { NUXT_STOREFRONT_STORE_TIMEOUT: '500', NUXT_STOREFRONT_STORE_UNAVAILABLE: 'anonymous' })
    const alice = createShopper(server)
    expect((await alice.rpc('login', ALICE)).status).toBe(200)
    const page = (path: string) => server.fetch(path, { headers: { cookie: alice.cookieHeader(), accept: 'text/html' } })
    await redis.stop()
    try {
      const home = await page('/')
      expect(home.status).toBe(200)
      expect(home.headers.get('cache-control')).toBe('private, no-store')
      const html = await home.text()
      expect(html).toContain('data-test="unavailable"')
      expect(html).not.toContain('data-test="login-link"')
      const account = await page('/account')
      expect(account.status).toBe(503)
      expect(account.headers.get('location')).toBeNull()
      // The same render for a page asked for with `*/*`: private and no-store, never a shared guest's page.
      const fetched = await server.fetch('/', { headers: { cookie: alice.cookieHeader(), accept: '*/*' } })
      expect(fetched.status).toBe(200)
      expect(fetched.headers.get('cache-control')).toBe('private, no-store')
      expect(await fetched.text()).toContain('data-test="unavailable"')
    }
    finally {
      await redis.start()
    }
  })
})

describe('finding 6: a failed rolling refresh never fails a read', () => {
  it('answers getUser and the page while Redis refuses writes (out of memory)', async () => {
    const server = await start('playground')
    const alice = createShopper(server)
    expect((await alice.rpc('login', ALICE)).status).toBe(200)
    const keys = keysOf(alice)
    // Make the refresh due: the session was last seen two hours ago.
    await withClient(async (client) => {
      const [name, meta, ...rest] = (await client.get(keys.prefixed(keys.session)))!.split('\n')
      const stored = parseMeta(meta)!
      const earlier = encodeMeta({ ...stored, s: stored.s - 7_200_000 })
      await client.set(keys.prefixed(keys.session), [name, earlier, ...rest].join('\n'), 'KEEPTTL')
      await client.config('SET', 'maxmemory-policy', 'noeviction')
      await client.config('SET', 'maxmemory', '1')
    })
    try {
      const user = await alice.rpc('getUser')
      expect(user.status).toBe(200)
      expect(user.body.user.id).toBe('u1')
      const home = await server.fetch('/', { headers: { cookie: alice.cookieHeader(), accept: 'text/html' } })
      expect(home.status).toBe(200)
      expect(home.headers.get('content-type')).toContain('text/html')
      expect(await home.text()).toContain('data-test="account-link"')
      // Logged, and rate-limited: one line for both failed refreshes.
      await until(async () => /rolling session refresh failed/.test(server.logs()), 5_000)
      expect(server.logs().match(/rolling session refresh failed/g)).toHaveLength(1)
    }
    finally {
      await withClient(client => client.config('SET', 'maxmemory', '0'))
    }
  })
})

describe('finding 7: a client that goes away is not a server error', () => {
  it('logs at most a debug line per aborted upload, never a stack trace', async () => {
    const server = await start('basic')
    const before = server.logs().split('\n').length
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(`POST /api/rpc/addItemToBasket HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n{"payload":{"variantId":1,`)
          setImmediate(() => socket.destroy())
        })
        socket.on('close', () => resolve())
        socket.on('error', () => resolve())
      })
    }
    // The server is still serving; whatever it logged about the aborts is in by then.
    expect((await server.fetch('/api/anonymous')).status).toBe(200)
    const added = server.logs().split('\n').slice(before - 1).filter(line => line.trim() !== '')
    console.log(`[measure] 20 aborted uploads: ${added.length} log lines`)
    expect(added.filter(line => /unexpected error|^\s+at /.test(line))).toEqual([])
    expect(added.length).toBeLessThanOrEqual(2)
  })
})

describe('finding 8: a retried mutation is applied once', () => {
  it('answers a repeat with the same Idempotency-Key with the first result, also when its answer was lost', async () => {
    const server = await start('basic')
    const shopper = createShopper(server)
    expect((await shopper.rpc('loginAs', { userId: `idem-${randomUUID().slice(0, 8)}` })).status).toBe(200)
    const key = randomUUID()
    const add = () => shopper.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': key } })
    const first = await add()
    const again = await add()
    expect(first.status).toBe(200)
    expect(again.status).toBe(200)
    expect(again.body).toEqual(first.body)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(first.body.items).toEqual([{ variantId: 5, quantity: 1 }])
    // Another key is another call.
    const other = await shopper.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': randomUUID() } })
    expect(other.body.items).toEqual([{ variantId: 5, quantity: 2 }])

    // The write applied but its answer was lost (only the script's own record is left): the repeat applies nothing.
    const lost = randomUUID()
    const applied = await shopper.rpc('addItemToBasket', { variantId: 6, quantity: 1 }, { headers: { 'idempotency-key': lost } })
    expect(applied.body.items).toContainEqual({ variantId: 6, quantity: 1 })
    const records = await recordsOf(shopper)
    expect(records.length).toBe(3)
    await withClient(async (client) => {
      for (const record of records) {
        if ((await client.get(record))!.includes('"variantId":6')) await client.set(record, '1', 'KEEPTTL')
      }
    })
    const retried = await shopper.rpc('addItemToBasket', { variantId: 6, quantity: 1 }, { headers: { 'idempotency-key': lost } })
    expect(retried.status).toBe(200)
    expect(retried.body.items).toContainEqual({ variantId: 6, quantity: 1 })

    expect((await shopper.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': 'bad key!' } })).status).toBe(400)

    // Repeats sent together, before any answer (the README's claim): the script records the key with its write, so
    // one of them applies and the others find the record.
    const together = randomUUID()
    const answers = await Promise.all(Array.from({ length: 5 }, () => shopper.rpc('addItemToBasket', { variantId: 7, quantity: 1 }, { headers: { 'idempotency-key': together } })))
    expect(answers.every(answer => answer.status === 200)).toBe(true)
    expect((await shopper.rpc('getBasket')).body.items).toContainEqual({ variantId: 7, quantity: 1 })
  })

  // An Idempotency-Key names one call: the IETF draft and payment APIs answer its reuse for other params with a 422,
  // never with the first call's result (a client bug that replay would hide: the second change is silently dropped).
  it.each(['redis', 'memory'] as const)('answers the key sent again with other params with a 422, applying nothing (%s store)', async (kind) => {
    const server = await startOn(kind)
    const reused = (answer: { status: number, headers: Headers, body: Record<string, unknown> }) => {
      expect(answer.status).toBe(422)
      expect(answer.headers.get('content-type')).toContain('application/problem+json')
      expect(answer.headers.get('idempotent-replayed')).toBeNull()
      expect(answer.body).toMatchObject({ status: 422, code: 'key-reused' })
    }
    // A guest's first write (its record made with the session it created), then a user's writes.
    const guest = createShopper(server)
    const guestKey = randomUUID()
    expect((await guest.rpc('addItemToBasket', { variantId: 21, quantity: 1 }, { headers: { 'idempotency-key': guestKey } })).status).toBe(200)
    reused(await guest.rpc('addItemToBasket', { variantId: 22, quantity: 1 }, { headers: { 'idempotency-key': guestKey } }))
    expect((await guest.rpc('getBasket')).body.items).toEqual([{ variantId: 21, quantity: 1 }])

    const shopper = createShopper(server)
    expect((await shopper.rpc('loginAs', { userId: `reuse-${randomUUID().slice(0, 8)}` })).status).toBe(200)
    const key = randomUUID()
    const first = await shopper.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': key } })
    expect(first.body.items).toEqual([{ variantId: 5, quantity: 1 }])
    for (const payload of [{ variantId: 6, quantity: 1 }, { variantId: 5, quantity: 2 }, { variantId: 5 }, {}]) {
      reused(await shopper.rpc('addItemToBasket', payload, { headers: { 'idempotency-key': key } }))
    }
    // The same params again are a repeat: the first result, applied once.
    const again = await shopper.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': key } })
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body).toEqual(first.body)
    if (kind === 'redis') {
      // The answer was lost and only the script's own marker is left (it holds the call's fingerprint): the reuse is
      // still a 422, and the repeat still applies nothing.
      const [record] = await recordsOf(shopper)
      await withClient(async (client) => {
        const { f } = JSON.parse((await client.get(record!))!) as { f: string }
        expect(f).toMatch(/^[\w-]{32}$/)
        await client.set(record!, `~${f}`, 'KEEPTTL')
      })
      reused(await shopper.rpc('addItemToBasket', { variantId: 6, quantity: 1 }, { headers: { 'idempotency-key': key } }))
      expect((await shopper.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': key } })).body).toEqual(first.body)
    }
    // The same key on another method is another call.
    expect((await shopper.rpc('addItemToWishlist', { productId: 5 }, { headers: { 'idempotency-key': key } })).status).toBe(200)
    // An app method: the reuse is refused before it runs, and leaves the recorded result to its repeats.
    const orderKey = randomUUID()
    const order = await shopper.rpc('placeOrder', { delayMs: 1 }, { headers: { 'idempotency-key': orderKey } })
    reused(await shopper.rpc('placeOrder', { delayMs: 2 }, { headers: { 'idempotency-key': orderKey } }))
    expect((await shopper.rpc('placeOrder', { delayMs: 1 }, { headers: { 'idempotency-key': orderKey } })).body).toEqual(order.body)
    const next = await shopper.rpc('placeOrder', {}, { headers: { 'idempotency-key': randomUUID() } })
    expect(next.body.orderNumber).toBe(order.body.orderNumber + 1)
    expect((await shopper.rpc('getBasket')).body.items).toEqual([{ variantId: 5, quantity: 1 }])

    // Sent together with other params: one applies, the other is a 422, whichever reaches the store first.
    for (let round = 0; round < 5; round++) {
      const together = randomUUID()
      const answers = await Promise.all([40, 41].map(variantId => shopper.rpc('addItemToBasket', { variantId: variantId + round * 2, quantity: 1 }, { headers: { 'idempotency-key': together } })))
      expect(answers.map(answer => answer.status).sort()).toEqual([200, 422])
      const applied = answers.find(answer => answer.status === 200)!
      const items = (await shopper.rpc('getBasket')).body.items as { variantId: number }[]
      const sent = [40 + round * 2, 41 + round * 2]
      expect(items.filter(item => sent.includes(item.variantId))).toEqual(applied.body.items.filter((item: { variantId: number }) => sent.includes(item.variantId)))
      expect(items.filter(item => sent.includes(item.variantId))).toHaveLength(1)
    }
  })

  // Regression: the record of an app method's key was handed to every store write of the call, so the second basket
  // write found the record the first had set, and was skipped.
  it.each(['redis', 'memory'] as const)('applies every write of an app method called with an Idempotency-Key, once (%s store)', async (kind) => {
    const server = await startOn(kind)
    const shopper = createShopper(server)
    expect((await shopper.rpc('loginAs', { userId: `bundle-${randomUUID().slice(0, 8)}` })).status).toBe(200)
    const key = randomUUID()
    const bundle = { variantIds: [61, 62, 63], productId: 64 }
    const first = await shopper.rpc('addBundle', bundle, { headers: { 'idempotency-key': key } })
    expect(first.status).toBe(200)
    expect(first.body.items.map((item: { variantId: number }) => item.variantId)).toEqual([61, 62, 63])
    expect(first.body.wishlist).toEqual([{ productId: 64 }])
    const again = await shopper.rpc('addBundle', bundle, { headers: { 'idempotency-key': key } })
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect((await shopper.rpc('getBasket')).body.items).toEqual([61, 62, 63].map(variantId => expect.objectContaining({ variantId, quantity: 1 })))
    // A guest's first call: the session it makes holds all three lines.
    const guest = createShopper(server)
    const guestCall = await guest.rpc('addBundle', bundle, { headers: { 'idempotency-key': randomUUID() } })
    expect(guestCall.body.items.map((item: { variantId: number }) => item.variantId)).toEqual([61, 62, 63])
  })

  it('answers a repeat of a guest\'s first write, sent with the cookie that write set, with the first result', async () => {
    const server = await start('basic')
    const shopper = createShopper(server)
    const keysBefore = await withClient(client => client.dbsize())
    // A keyed read without a cookie makes no session, and leaves nothing behind.
    expect((await shopper.rpc('getUser', undefined, { headers: { 'idempotency-key': randomUUID() } })).status).toBe(200)
    expect(shopper.cookie()).toBeUndefined()
    expect(await withClient(client => client.dbsize())).toBe(keysBefore)

    const key = randomUUID()
    const first = await shopper.rpc('addItemToBasket', { variantId: 11, quantity: 1 }, { headers: { 'idempotency-key': key } })
    expect(first.status).toBe(200)
    expect(shopper.cookie()).toBeDefined()
    const repeat = await shopper.rpc('addItemToBasket', { variantId: 11, quantity: 1 }, { headers: { 'idempotency-key': key } })
    expect(repeat.status).toBe(200)
    expect(repeat.headers.get('idempotent-replayed')).toBe('true')
    expect(repeat.body).toEqual(first.body)
    expect((await shopper.rpc('getBasket')).body.items).toEqual([{ variantId: 11, quantity: 1 }])
  })

  it('refuses new keyed calls past rpc.idempotencyLimit (NUXT_STOREFRONT_RPC_IDEMPOTENCY_LIMIT), and still answers repeats', async () => {
    const server = await start('basic', { NUXT_STOREFRONT_RPC_IDEMPOTENCY_LIMIT: '3' })
    const shopper = createShopper(server)
    expect((await shopper.rpc('loginAs', { userId: `cap-${randomUUID().slice(0, 8)}` })).status).toBe(200)
    const keys = [randomUUID(), randomUUID(), randomUUID()]
    for (const key of keys) {
      expect((await shopper.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': key } })).status).toBe(200)
    }
    // Reads with a key count too: each would keep a copy of its answer for an hour.
    for (let i = 0; i < 20; i++) {
      const refused = await shopper.rpc(i % 2 ? 'listSessions' : 'addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': randomUUID() } })
      expect(refused.status).toBe(429)
      expect(refused.headers.get('content-type')).toContain('application/problem+json')
      expect(refused.body.detail).toMatch(/more than 3 calls with an Idempotency-Key .*rpc\.idempotencyLimit/)
      const retryAfter = Number(refused.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThan(3500)
      expect(retryAfter).toBeLessThanOrEqual(3600)
    }
    // A repeat of a recorded call is answered as before; a call without a key runs; nothing refused was applied.
    const repeat = await shopper.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': keys[0]! } })
    expect(repeat.status).toBe(200)
    expect(repeat.headers.get('idempotent-replayed')).toBe('true')
    expect((await shopper.rpc('getBasket')).body.items).toEqual([{ variantId: 5, quantity: 3 }])
    expect(await recordsOf(shopper)).toHaveLength(3)

    // Another session counts its own calls.
    const other = createShopper(server)
    expect((await other.rpc('loginAs', { userId: `cap-${randomUUID().slice(0, 8)}` })).status).toBe(200)
    expect((await other.rpc('addItemToBasket', { variantId: 5, quantity: 1 }, { headers: { 'idempotency-key': randomUUID() } })).status).toBe(200)
  })

  it.each(['redis', 'memory'] as const)('runs an app method once when its repeats arrive while it runs (%s store): a 409 each, then the first result', async (kind) => {
    const server = await startOn(kind)
    const shopper = createShopper(server)
    expect((await shopper.rpc('loginAs', { userId: `order-${randomUUID().slice(0, 8)}` })).status).toBe(200)
    const key = randomUUID()
    const order = () => shopper.rpc('placeOrder', { delayMs: 800 }, { headers: { 'idempotency-key': key } })
    // Five at once: one takes the claim and runs for 800 ms; the others arrive meanwhile.
    const pending = Promise.all(Array.from({ length: 5 }, order))
    if (kind === 'redis') {
      // While the call runs its claim is in the store, and lapses by itself within a minute should the server stop.
      let ttl = -2
      await until(async () => {
        const [claim] = await withClient(client => client.keys(`storefront:${keysOf(shopper).owner}:k:*.c`))
        if (claim) ttl = await withClient(client => client.pttl(claim))
        return ttl > 0
      }, 5_000)
      expect(ttl).toBeGreaterThan(55_000)
      expect(ttl).toBeLessThanOrEqual(60_000)
    }
    const answers = await pending
    const ran = answers.filter(answer => answer.status === 200 && answer.headers.get('idempotent-replayed') !== 'true')
    expect(ran).toHaveLength(1)
    const placed = ran[0]!
    const running = answers.filter(answer => answer.status === 409)
    expect(running.length).toBeGreaterThan(0)
    for (const repeat of running) {
      expect(repeat.headers.get('content-type')).toContain('application/problem+json')
      expect(repeat.headers.get('retry-after')).toBe('1')
      expect(repeat.body).toMatchObject({ status: 409, code: 'call-running' })
      expect(repeat.body.detail).toMatch(/still running/)
    }
    // Any other answer is the first one's result, replayed.
    for (const answer of answers.filter(answer => answer !== placed && answer.status !== 409)) {
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual(placed.body)
    }
    // Once it answered, a repeat gets its result; a call with another key places the next order: one was placed.
    const replayed = await order()
    expect(replayed.status).toBe(200)
    expect(replayed.headers.get('idempotent-replayed')).toBe('true')
    expect(replayed.body).toEqual(placed.body)
    const next = await shopper.rpc('placeOrder', {}, { headers: { 'idempotency-key': randomUUID() } })
    expect(next.body.orderNumber).toBe(placed.body.orderNumber + 1)

    // A method that failed gives its claim up: the repeat runs it again, and gets the method's own answer.
    const failing = randomUUID()
    for (let i = 0; i < 2; i++) {
      const refused = await shopper.rpc('failExpectedly', {}, { headers: { 'idempotency-key': failing } })
      expect(refused.status).toBe(409)
      expect(refused.body.detail).toBe('the offer ended')
    }
  })

  it('applies an add once when Redis is killed and restarted around it and the client retries with its key', async () => {
    const durable = await startRedis({ appendonly: true })
    const server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: durable.url, NUXT_STOREFRONT_STORE_TIMEOUT: '500' })
    servers.push(server)
    try {
      const shopper = createShopper(server)
      expect((await shopper.rpc('loginAs', { userId: `kill-${randomUUID().slice(0, 8)}` })).status).toBe(200)
      let applied = 0
      for (let round = 0; round < 10; round++) {
        const key = randomUUID()
        const add = () => shopper.rpc('addItemToBasket', { variantId: 9, quantity: 1 }, { headers: { 'idempotency-key': key } })
        // The first try races a restart of Redis; whatever it answered, the retry with the same key settles it.
        const [first] = await Promise.all([add(), round % 2 ? durable.stop().then(() => durable.start()) : Promise.resolve()])
        let settled = first
        await until(async () => {
          if (settled.status === 200) return true
          settled = await add()
          return settled.status === 200
        }, 15_000)
        applied++
        expect(settled.body.items).toEqual([{ variantId: 9, quantity: applied }])
      }
    }
    finally {
      await durable.dispose()
    }
  }, 120_000)
})
