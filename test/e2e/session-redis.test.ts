import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, setCookieHeader, setCookiePair } from '../helpers/cookies'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import { countCommands } from '../helpers/redis-count'
import type { FixtureServer } from '../helpers/server'
import { runFixtureExpectingExit, startFixtureServer } from '../helpers/server'

const NAME = '$session-1001'
let redis: RedisProcess
let server: FixtureServer

beforeAll(async () => {
  redis = await startRedis({ appendonly: true })
  server = await startFixtureServer('basic', {
    NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
    NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url,
  })
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

async function write(key: string, value: unknown, cookie?: string) {
  const response = await server.fetch('/api/session/put', postJson({ key, value }, cookie ? { cookie } : {}))
  expect(response.status).toBe(200)
  return setCookiePair(response, NAME) ?? cookie!
}

const read = (cookie?: string) => server.fetch('/api/session/state', { headers: cookie ? { cookie } : {} })

describe('store commands per request (INFO commandstats)', () => {
  it('costs nothing for anonymous traffic', async () => {
    const count = await countCommands(redis, async () => {
      for (const path of ['/', '/api/anonymous', '/api/session/state', '/_nuxt/missing.js', '/favicon.ico']) {
        await server.fetch(path)
      }
    })
    console.log(`[measure] anonymous page, API call, session read without cookie, assets: ${count.total} commands`)
    expect(count.total).toBe(0)
  })

  // A browser that asks for an old chunk after a deploy gets Nuxt's 404 page: no session work for it either.
  it('costs nothing for a missing build asset asked for as a page by a shopper with a session', async () => {
    const cookie = await write('basket', [1])
    const count = await countCommands(redis, async () => {
      for (const path of ['/_nuxt/old-chunk.js', '/_nuxt/entry.0ld.css', '/_nuxt/builds/meta/0ld.json']) {
        const response = await server.fetch(path, { headers: { cookie, accept: 'text/html' } })
        expect(response.status, path).toBe(404)
        expect(response.headers.getSetCookie(), path).toEqual([])
      }
    })
    expect(count.total).toBe(0)
  })

  it('costs one read and no write for a read-only request, guest or user-bound', async () => {
    const guest = await write('basket', [1, 2, 3])
    const guestRead = await countCommands(redis, () => read(guest))
    console.log(`[measure] guest read: ${guestRead.roundTrips} round trip, ${guestRead.writes} writes, ${JSON.stringify(guestRead.byCommand)}`)
    expect(guestRead).toMatchObject({ roundTrips: 1, writes: 0, byCommand: { get: 1 } })

    const bound = await server.fetch('/api/session/bind', postJson({ userId: 'u-42' }, { cookie: guest }))
    const user = setCookiePair(bound, NAME)!
    expect(decodeURIComponent(user)).toMatch(/^\$session-1001=s:u-42:[0-9a-f-]{36}\./)
    const userRead = await countCommands(redis, () => read(user))
    console.log(`[measure] user-bound read: ${userRead.roundTrips} round trip, ${userRead.writes} writes, ${JSON.stringify(userRead.byCommand)}`)
    // A user-bound session is read with its user's record: one MGET, still one round trip.
    expect(userRead).toMatchObject({ roundTrips: 1, writes: 0, byCommand: { mget: 1 } })
    // The old guest id died with the re-issue.
    expect(await (await read(guest)).json()).toMatchObject({ isNew: true })
  })

  it('costs one round trip (one script) for a guest write', async () => {
    const cookie = await write('a', 1)
    const count = await countCommands(redis, () => write('b', 2, cookie))
    console.log(`[measure] guest write: ${count.roundTrips} round trips (read + one script), ${count.total} commands incl. inside the script, sent ${JSON.stringify(count.sent)}, ran ${JSON.stringify(count.byCommand)}`)
    expect(count.sent.get).toBe(1)
    expect((count.sent.evalsha ?? 0) + (count.sent.eval ?? 0)).toBe(1)
    expect(count.roundTrips).toBe(2)
  })

  it('stores the session under a hash of its id, never the id itself', async () => {
    const cookie = await write('x', 1)
    const id = decodeURIComponent(cookie).slice(NAME.length + 3).split('.')[0]!
    const client = redis.client()
    try {
      const keys = await client.keys('*')
      expect(keys.some(key => key.includes(id))).toBe(false)
      expect(keys.length).toBeGreaterThan(0)
    }
    finally {
      client.disconnect()
    }
  })
})

describe('outage', () => {
  it('answers a 503 problem+json while Redis is down, keeps the cookie, renders anonymous pages, and loses nothing', async () => {
    const cookie = await write('kept', 'before outage')
    await redis.stop()
    try {
      for (const request of [() => read(cookie), () => server.fetch('/api/session/put', postJson({ key: 'lost', value: 1 }, { cookie }))]) {
        const started = Date.now()
        const response = await request()
        expect(Date.now() - started).toBeLessThan(2500)
        expect(response.status).toBe(503)
        expect(response.headers.get('content-type')).toContain('application/problem+json')
        expect(await response.json()).toMatchObject({ status: 503, title: 'Service Unavailable' })
        expect(setCookieHeader(response, NAME)).toBeUndefined()
      }
      expect((await server.fetch('/')).status).toBe(200)
    }
    finally {
      await redis.start()
    }
    // The same cookie works again without a server restart, and the data written before the outage is there.
    await expect.poll(async () => (await read(cookie)).status, { timeout: 10_000 }).toBe(200)
    expect(await (await read(cookie)).json()).toMatchObject({ isNew: false, data: { kept: 'before outage' } })
  })

  it('answers a 503 within the store timeout when Redis hangs', async () => {
    const cookie = await write('hang', 1)
    const pid = Number((await (async () => {
      const client = redis.client()
      try {
        return (await client.info('server')).match(/process_id:(\d+)/)![1]
      }
      finally {
        client.disconnect()
      }
    })()))
    process.kill(pid, 'SIGSTOP')
    try {
      // Requests waiting together all get their 503 when the store timeout ends.
      const started = Date.now()
      const responses = await Promise.all([1, 2, 3].map(() => read(cookie)))
      const elapsed = Date.now() - started
      expect(responses.map(response => response.status)).toEqual([503, 503, 503])
      expect(elapsed).toBeGreaterThanOrEqual(1900)
      expect(elapsed).toBeLessThan(4000)
      // Nothing queues up behind them: while Redis still hangs, the next request fails at once.
      const next = Date.now()
      expect((await read(cookie)).status).toBe(503)
      expect(Date.now() - next).toBeLessThan(1000)
    }
    finally {
      process.kill(pid, 'SIGCONT')
    }
    await expect.poll(async () => (await read(cookie)).status, { timeout: 10_000 }).toBe(200)
  })
})

describe('lifetime', () => {
  it('refreshes TTL and cookie at most once per refresh interval', async () => {
    await server.restart({
      NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
      NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url,
      NUXT_STOREFRONT_SESSION_REFRESH_INTERVAL: '2',
    })
    // Taken before the request: the server stamps the session while it handles it, never earlier.
    const written = Date.now()
    const cookie = await write('r', 1)
    let refreshes = 0
    let reads = 0
    const count = await countCommands(redis, async () => {
      // Read until a response carries the refreshed cookie; every read before that must write nothing.
      while (Date.now() - written < 10_000) {
        const response = await read(cookie)
        reads++
        if (setCookieHeader(response, NAME)) {
          refreshes++
          expect(Date.now() - written).toBeGreaterThanOrEqual(2000)
          break
        }
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      expect(setCookieHeader(await read(cookie), NAME)).toBeUndefined()
      reads++
    })
    expect(refreshes).toBe(1)
    expect(count.sent.get).toBe(reads)
    expect((count.byCommand.evalsha ?? 0) + (count.byCommand.eval ?? 0)).toBe(1)
  })

  it('expires a session after a short maxAge', async () => {
    await server.restart({
      NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
      NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url,
      NUXT_STOREFRONT_SESSION_MAX_AGE: '1',
      // No rolling refresh while polling, or the reads themselves would keep the session alive.
      NUXT_STOREFRONT_SESSION_REFRESH_INTERVAL: '3600',
    })
    // Taken before the write: the session's clock starts after this, whatever the response takes on a busy machine.
    const created = Date.now()
    const cookie = await write('short', 1)
    expect(await (await read(cookie)).json()).toMatchObject({ isNew: false })
    await expect.poll(async () => (await (await read(cookie)).json()).isNew, { timeout: 5000, interval: 100 }).toBe(true)
    expect(Date.now() - created).toBeGreaterThanOrEqual(900)
  })
})

describe('secrets', () => {
  const OLD = 'old-secret-0123456789-abcdefghijklmnopqr'
  const NEW = 'new-secret-0123456789-abcdefghijklmnopqr'
  const dir = mkdtempSync(join(tmpdir(), 'storefront-fs-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const env = (secret: string) => ({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'fs', NUXT_STOREFRONT_STORAGE_SESSION_BASE: dir, NUXT_STOREFRONT_SESSION_SECRET: secret })

  it('rotates from [old] to [old, new] to [new] on a persistent store', async () => {
    await server.restart(env(OLD))
    const signedOld = await write('rotation', 'data')
    const staysOld = await write('second', 'cookie')
    await server.restart(env(JSON.stringify([OLD, NEW])))
    expect(await (await read(signedOld)).json()).toMatchObject({ isNew: false, data: { rotation: 'data' } })
    expect(await (await read(staysOld)).json()).toMatchObject({ isNew: false, data: { second: 'cookie' } })
    const regenerated = await server.fetch('/api/session/regenerate', postJson({}, { cookie: signedOld }))
    const signedNew = setCookiePair(regenerated, NAME)!
    const value = decodeURIComponent(signedNew.slice(NAME.length + 1))
    const id = value.slice(2, value.lastIndexOf('.'))
    expect(value.slice(value.lastIndexOf('.') + 1)).toBe(createHmac('sha256', NEW).update(id).digest('base64url'))
    await server.restart(env(NEW))
    expect(await (await read(signedNew)).json()).toMatchObject({ isNew: false, data: { rotation: 'data' } })
    // Still in the store, but signed only with the retired secret: refused.
    expect(await (await read(staysOld)).json()).toMatchObject({ isNew: true, data: {} })
  })

  it('refuses to start in production without a secret, or with a short one', async () => {
    const missing = await runFixtureExpectingExit('basic', {})
    expect(missing.code).not.toBe(0)
    expect(missing.output).toContain('NUXT_STOREFRONT_SESSION_SECRET')
    const short = await runFixtureExpectingExit('basic', { NUXT_STOREFRONT_SESSION_SECRET: 'too-short' })
    expect(short.code).not.toBe(0)
    expect(short.output).toContain('shorter than 32 characters')
  })
})
