import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cookieAttributes, postJson, setCookieHeader } from '../helpers/cookies'
import { cookieId, signCookieValue } from '../helpers/fuzz'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { runFixtureExpectingExit, startFixtureServer, TEST_SECRET } from '../helpers/server'
import type { Shopper } from '../helpers/shopper'
import { createShopper } from '../helpers/shopper'
import { encodeMeta, parseMeta } from '../../src/runtime/server/store/record'

// Account safety (issue 14), against built servers on a real redis-server: a login as another user starts clean, a
// user's record is shared by every session and merges concurrent edits, tokens are sealed at rest, per-shop settings
// apply from the environment, sessions have an absolute lifetime by default, maxDataSize counts bytes, and the
// __Host- cookie prefix is enforced.

const NEW_SECRET = 'rotated-secret-9876543210-zyxwvutsrqponmlk'
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
  const server = await startFixtureServer(fixture, { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url, ...env })
  servers.push(server)
  return server
}

/** Sends a plain request with the shopper's cookies and keeps the session cookie it sets. */
async function call(server: FixtureServer, shopper: Shopper, path: string, init: RequestInit = {}) {
  const response = await server.fetch(path, { ...init, headers: { ...init.headers as Record<string, string>, cookie: shopper.cookieHeader() } })
  const header = setCookieHeader(response, '$session-1001')
  if (header) shopper.setCookie('1001', header.split(';')[0])
  return { status: response.status, body: await response.json() }
}

const put = (server: FixtureServer, shopper: Shopper, key: string, value: unknown) => call(server, shopper, '/api/session/put', postJson({ key, value }))
const state = (server: FixtureServer, shopper: Shopper) => call(server, shopper, '/api/session/state')

/** Every value of every key in the store, as one text: what a dump of Redis would give away. */
async function dumpStore(): Promise<string> {
  const client = redis.client()
  try {
    const parts: string[] = []
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'COUNT', 1000)
      cursor = next
      for (const key of keys) {
        const type = await client.type(key)
        const value = type === 'string'
          ? await client.get(key)
          : type === 'hash'
            ? JSON.stringify(await client.hgetall(key))
            : type === 'zset'
              ? JSON.stringify(await client.zrange(key, 0, -1, 'WITHSCORES'))
              : type === 'set' ? JSON.stringify(await client.smembers(key)) : JSON.stringify(await client.lrange(key, 0, -1))
        parts.push(`${key}\n${value}`)
      }
    } while (cursor !== '0')
    return parts.join('\n')
  }
  finally {
    client.disconnect()
  }
}

/** The stored record of a session, by its cookie, and the key it lives under. */
/**
 * A guest session with one value, as stored, and a way to store it again with another meta field.
 * @param server the server
 * @returns the shopper, its parsed meta, the meta field as stored, and `storeMeta(field, ...expiry)`
 */
async function guestWithStoredMeta(server: FixtureServer) {
  const browser = createShopper(server)
  await put(server, browser, 'k', 1)
  const { key, lines } = await storedSession(browser)
  const field = lines.split('\n')[1]!
  const storeMeta = async (meta: string, ...expiry: ['PX', number] | ['KEEPTTL']) => {
    const client = redis.client()
    try {
      await client.call('SET', key, ['m', meta, ...lines.split('\n').slice(2)].join('\n'), ...expiry)
    }
    finally {
      client.disconnect()
    }
  }
  return { browser, field, meta: parseMeta(field)!, storeMeta }
}

async function storedSession(shopper: Shopper): Promise<{ key: string, lines: string }> {
  const client = redis.client()
  try {
    const { createHash } = await import('node:crypto')
    const hash = createHash('sha256').update(cookieId(shopper.cookie()!.split('=').slice(1).join('='))).digest('base64url')
    const [key] = (await client.keys(`*${hash}*`)).filter(candidate => /:s(?::[\w-]+)?$/.test(candidate))
    return { key: key!, lines: (await client.get(key!))! }
  }
  finally {
    client.disconnect()
  }
}

describe('finding 1: a login as another user starts with no app data', () => {
  it('gives Bob nothing of Alice\'s session when Bob logs in on Alice\'s browser, and carries only guest-portable keys from a guest', async () => {
    const server = await start('basic', { NUXT_STOREFRONT_SESSION_GUEST_PORTABLE_KEYS: '["recentlyViewed"]' })
    const browser = createShopper(server)
    // A guest: one portable key, one that is not.
    await put(server, browser, 'recentlyViewed', [7, 8])
    await put(server, browser, 'note', 'guest scribble')
    expect((await browser.rpc('loginAs', { userId: 'alice' })).status).toBe(200)
    expect((await state(server, browser)).body.data).toEqual({ recentlyViewed: [7, 8] })
    // Alice's own data, then Bob logs in on the same browser without a logout.
    await put(server, browser, 'shippingAddress', { street: '1 Alice Road' })
    await put(server, browser, 'recentlyViewed', [42])
    expect((await state(server, browser)).body.data).toMatchObject({ shippingAddress: { street: '1 Alice Road' } })
    expect((await browser.rpc('loginAs', { userId: 'bob' })).status).toBe(200)
    expect((await browser.rpc('getUser')).body.user).toEqual({ id: 'bob' })
    expect((await state(server, browser)).body.data).toEqual({})
    // A login again as the same user keeps its data.
    await put(server, browser, 'shippingAddress', { street: '2 Bob Street' })
    expect((await browser.rpc('loginAs', { userId: 'bob' })).status).toBe(200)
    expect((await state(server, browser)).body.data).toEqual({ shippingAddress: { street: '2 Bob Street' } })
  })
})

describe('finding 2: one user record per user, merged atomically, read by every session', () => {
  it('loses no field under concurrent updateUser calls and shows every edit on every device', async () => {
    const server = await start('playground', { REDIS_URL: redis.url })
    const credentials = { email: 'alice@example.com', password: 'alice-secret-1' }
    const devices = [createShopper(server), createShopper(server), createShopper(server)]
    for (const device of devices) expect((await device.rpc('login', credentials)).status).toBe(200)
    const [phone, laptop, tablet] = devices as [Shopper, Shopper, Shopper]
    const rounds = 20
    let lost = 0
    let unseen = 0
    for (let round = 0; round < rounds; round++) {
      const [first, last] = await Promise.all([
        phone.rpc('updateUser', { firstName: `First${round}` }),
        laptop.rpc('updateUser', { lastName: `Last${round}` }),
      ])
      expect(first.status).toBe(200)
      expect(last.status).toBe(200)
      // A third device that changed nothing sees both edits on its next request.
      const seen = (await tablet.rpc('getUser')).body.user
      if (seen.firstName !== `First${round}` || seen.lastName !== `Last${round}`) unseen++
      const phoneView = (await phone.rpc('getUser')).body.user
      if (phoneView.lastName !== `Last${round}` || phoneView.firstName !== `First${round}`) lost++
    }
    expect({ lost, unseen }).toEqual({ lost: 0, unseen: 0 })
    // Two concurrent edits from one device (one session) keep both fields too.
    let lostOnOneDevice = 0
    for (let round = 0; round < 10; round++) {
      await Promise.all([phone.rpc('updateUser', { firstName: `Same${round}` }), phone.rpc('updateUser', { lastName: `Device${round}` })])
      const seen = (await tablet.rpc('getUser')).body.user
      if (seen.firstName !== `Same${round}` || seen.lastName !== `Device${round}`) lostOnOneDevice++
    }
    expect(lostOnOneDevice).toBe(0)
  })
})

describe('finding 3: tokens are sealed at rest', () => {
  it('keeps no token in clear in the store, opens it after a secret rotation and re-seals it at the next write', async () => {
    const server = await start('basic')
    const accessToken = `tok-${randomUUID()}`
    const browser = createShopper(server)
    expect((await browser.rpc('loginAs', { userId: 'carol', tokens: { accessToken } })).status).toBe(200)
    expect((await browser.rpc('tokenMatches', { accessToken })).body).toEqual({ present: true, matches: true })
    const dump = await dumpStore()
    expect(dump).toContain('carol')
    expect(dump).not.toContain(accessToken)
    expect(dump).not.toContain(accessToken.slice(4, 20))
    const sealedBefore = (await storedSession(browser)).lines.match(/\nt\n"sf1\.([\w-]+)\./)?.[1]
    expect(sealedBefore).toBeDefined()

    // Rotation: the new secret signs and seals, the old one still opens.
    await server.restart({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url, NUXT_STOREFRONT_SESSION_SECRET: JSON.stringify([TEST_SECRET, NEW_SECRET]) })
    expect((await browser.rpc('tokenMatches', { accessToken })).body).toEqual({ present: true, matches: true })
    expect((await browser.rpc('touchSession', { value: 1 })).status).toBe(200)
    const sealedAfter = (await storedSession(browser)).lines.match(/\nt\n"sf1\.([\w-]+)\./)?.[1]
    expect(sealedAfter).toBeDefined()
    expect(sealedAfter).not.toBe(sealedBefore)
    expect(await dumpStore()).not.toContain(accessToken)

    // The old secret retired: the re-sealed tokens open with the new one alone (the cookie re-signed with it).
    await server.restart({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url, NUXT_STOREFRONT_SESSION_SECRET: NEW_SECRET })
    const id = cookieId(browser.cookie()!.split('=').slice(1).join('='))
    browser.setCookie('1001', `$session-1001=${encodeURIComponent(signCookieValue(id, NEW_SECRET))}`)
    expect((await browser.rpc('tokenMatches', { accessToken })).body).toEqual({ present: true, matches: true })
  })
})

describe('finding 4: per-shop settings from the environment', () => {
  const SHOP_SECRET = 'shop-1002-secret-abcdefghijklmnopqrstuvwxyz'

  it('signs shop 1002\'s cookie with NUXT_STOREFRONT_SHOPS_1002_SESSION_SECRET and sets its NUXT_..._SESSION_DOMAIN', async () => {
    const server = await start('basic', {
      NUXT_STOREFRONT_SHOPS_1002_SESSION_SECRET: SHOP_SECRET,
      NUXT_STOREFRONT_SHOPS_1002_SESSION_DOMAIN: 'shop-de.example',
    })
    const response = await server.fetch('/api/session/put', postJson({ key: 'k', value: 1 }, { 'x-shop-id': '1002' }))
    expect(response.status).toBe(200)
    const header = setCookieHeader(response, '$session-1002')!
    expect(header).toBeDefined()
    const value = decodeURIComponent(header.split(';')[0]!.slice('$session-1002='.length))
    const id = cookieId(value)
    expect(value).toBe(signCookieValue(id, SHOP_SECRET))
    expect(value).not.toBe(signCookieValue(id, TEST_SECRET))
    expect(cookieAttributes(header).domain).toBe('shop-de.example')
    // Shop 1001 keeps the global secret and no Domain.
    const other = await server.fetch('/api/session/put', postJson({ key: 'k', value: 1 }, { 'x-shop-id': '1001' }))
    const otherHeader = setCookieHeader(other, '$session-1001')!
    const otherValue = decodeURIComponent(otherHeader.split(';')[0]!.slice('$session-1001='.length))
    expect(otherValue).toBe(signCookieValue(cookieId(otherValue), TEST_SECRET))
    expect(cookieAttributes(otherHeader).domain).toBeUndefined()
  })

  it('refuses to start with a 5-character NUXT_STOREFRONT_SHOPS_1002_SESSION_SECRET', async () => {
    const result = await runFixtureExpectingExit('basic', { NUXT_STOREFRONT_SESSION_SECRET: TEST_SECRET, NUXT_STOREFRONT_SHOPS_1002_SESSION_SECRET: 'short' })
    expect(result.code, result.output).not.toBe(0)
    expect(result.output).not.toContain('Listening on')
    expect(result.output).toContain('shops.1002.session.secret is shorter than 32 characters')
    expect(result.output).toContain('(set NUXT_STOREFRONT_SHOPS_1002_SESSION_SECRET)')
    expect(result.output).not.toContain('short"')
  })

  // destr leaves a list with a typo a string: it once signed cookies with the typo's own text.
  it('refuses to start with a NUXT_STOREFRONT_SESSION_SECRET list that is not valid JSON', async () => {
    const result = await runFixtureExpectingExit('basic', { NUXT_STOREFRONT_SESSION_SECRET: `["${TEST_SECRET}",` })
    expect(result.code, result.output).not.toBe(0)
    expect(result.output).not.toContain('Listening on')
    expect(result.output).toContain('session.secret starts with [ but is not valid JSON')
    expect(result.output).toContain('(set NUXT_STOREFRONT_SESSION_SECRET)')
    expect(result.output).not.toContain(TEST_SECRET)
  })
})

describe('finding 5: an absolute lifetime by default', () => {
  it('records 30 days as the absolute end and ends an active session older than that', async () => {
    const server = await start('basic')
    const { browser, meta, storeMeta } = await guestWithStoredMeta(server)
    expect(meta.a).toBe(meta.c + 30 * 86_400_000)
    // The same session, active a minute ago, but created 31 days ago (and stored without its absolute end).
    const now = Date.now()
    const old = { ...meta, c: now - 31 * 86_400_000, s: now - 60_000, e: now + 3_600_000, a: undefined }
    await storeMeta(encodeMeta(old), 'PX', 3_600_000)
    const after = await state(server, browser)
    expect(after.body).toMatchObject({ isNew: true, data: {} })
  })
})

describe('a meta field written before the array form', () => {
  it('still loads the session, and its next refresh rewrites the field as an array with the same creation time', async () => {
    const server = await start('basic')
    const { browser, field, meta, storeMeta } = await guestWithStoredMeta(server)
    expect(field).toMatch(/^\[/)
    // The object form records took before, created and last seen half a lifetime ago, so that the next read refreshes
    // it (the refresh is due after a quarter of maxAge by default).
    const half = Math.floor((meta.e - meta.s) / 2)
    const old = { ...meta, c: meta.c - half, s: meta.s - half }
    await storeMeta(JSON.stringify(old), 'KEEPTTL')
    const after = await state(server, browser)
    expect(after.body).toMatchObject({ isNew: false, data: { k: 1 } })
    const rewritten = (await storedSession(browser)).lines.split('\n')[1]!
    expect(rewritten).toMatch(/^\[/)
    expect(parseMeta(rewritten)!.c).toBe(old.c)
    expect(parseMeta(rewritten)!.s).toBeGreaterThan(old.s)
  })
})

describe('finding 6: maxDataSize counts stored bytes', () => {
  it('refuses 75,000 bytes of 3-byte characters (25,000 UTF-16 units) with a 413 at the default 65,536', async () => {
    const server = await start('basic')
    const browser = createShopper(server)
    const refused = await put(server, browser, 'big', '€'.repeat(25_000))
    expect(refused.status).toBe(413)
    expect((await put(server, browser, 'fits', 'a'.repeat(60_000))).status).toBe(200)
    // The user's record has the same bound: a login with such a user is a 413, and nobody is logged in.
    const login = await browser.rpc('loginAs', { userId: 'big', fields: { bio: '€'.repeat(25_000) } })
    expect(login.status).toBe(413)
    expect((await browser.rpc('getUser')).body).toEqual({ user: null })
  })
})

describe('finding 7: the __Host- cookie prefix', () => {
  it('names the cookie __Host-$session-1001, Secure, Path=/ and without Domain', async () => {
    const server = await start('basic', { NUXT_STOREFRONT_SESSION_COOKIE_PREFIX: '__Host-' })
    const response = await server.fetch('/api/session/put', postJson({ key: 'k', value: 1 }))
    expect(response.status).toBe(200)
    const header = setCookieHeader(response, '__Host-$session-1001')
    expect(header, response.headers.getSetCookie().join('\n')).toBeDefined()
    const attributes = cookieAttributes(header!)
    expect(attributes.secure).toBe(true)
    expect(attributes.path).toBe('/')
    expect(attributes.domain).toBeUndefined()
    // The prefixed cookie is the one that is read.
    const cookie = header!.split(';')[0]!
    const read = await server.fetch('/api/session/state', { headers: { cookie } })
    expect((await read.json()).data).toEqual({ k: 1 })
  })

  it('refuses to start with __Host- and a domain, naming the option', async () => {
    const result = await runFixtureExpectingExit('basic', {
      NUXT_STOREFRONT_SESSION_SECRET: TEST_SECRET,
      NUXT_STOREFRONT_SESSION_COOKIE_PREFIX: '__Host-',
      NUXT_STOREFRONT_SHOPS_1002_SESSION_DOMAIN: 'shop.example',
    })
    expect(result.code, result.output).not.toBe(0)
    expect(result.output).toContain('shops.1002.session.domain "shop.example" cannot be combined with the __Host- cookie prefix')
    expect(result.output).toContain('(set NUXT_STOREFRONT_SHOPS_1002_SESSION_DOMAIN)')
  })
})
