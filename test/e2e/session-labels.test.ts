import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, setCookiePair } from '../helpers/cookies'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import { countCommands } from '../helpers/redis-count'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// Device labels (issue 19), against the built basic fixture on a real redis-server: set at login, for this session or
// another device of the user, cleaned and bounded, shown by listSessions, kept through regenerate and refreshes, and
// read with the session at no extra cost. Shop 1001 takes bearer sessions too, for the app device.

let redis: RedisProcess
let server: FixtureServer

beforeAll(async () => {
  redis = await startRedis()
  server = await startFixtureServer('basic', {
    NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
    NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url,
    NUXT_STOREFRONT_SESSION_TRANSPORTS: '["cookie","bearer"]',
    // Every request refreshes the session: labels must survive the meta rewrite.
    NUXT_STOREFRONT_SESSION_REFRESH_INTERVAL: '1',
  })
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

interface Device { handle: string, current: boolean, label: string, userAgent: string }

function createBrowser(agent = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0') {
  const browser = {
    cookie: undefined as string | undefined,
    async call(path: string, init: RequestInit) {
      const response = await server.fetch(path, { ...init, headers: { 'user-agent': agent, ...init.headers as Record<string, string>, ...browser.cookie ? { cookie: browser.cookie } : {} } })
      const pair = setCookiePair(response, '$session-1001')
      if (pair) browser.cookie = pair
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : undefined, type: response.headers.get('content-type') }
    },
    rpc: (name: string, payload?: unknown) => browser.call(`/api/rpc/${name}`, postJson(payload === undefined ? {} : { payload })),
    async devices(): Promise<Device[]> {
      const answer = await browser.rpc('listSessions')
      expect(answer.status).toBe(200)
      return answer.body.sessions
    },
  }
  return browser
}

describe('device labels', () => {
  it('are set at login, shown by listSessions, and changed for this device or another one', async () => {
    const desktop = createBrowser()
    await desktop.rpc('loginAs', { userId: 'label-user', label: 'Office PC' })
    const app = { token: '' }
    const login = await server.fetch('/api/rpc/loginAs', postJson({ payload: { userId: 'label-user', label: 'Alice\'s iPhone' } }, { 'x-storefront-transport': 'bearer', 'user-agent': 'StorefrontApp/2.1 (iPhone; iOS 18.1)' }))
    app.token = login.headers.get('x-storefront-session-token')!
    expect(app.token).toBeTruthy()

    let devices = await desktop.devices()
    expect(devices.map(device => [device.current, device.label]).sort()).toEqual([[false, 'Alice\'s iPhone'], [true, 'Office PC']])
    const phone = devices.find(device => !device.current)!

    expect(await desktop.rpc('labelSession', { label: 'Desk' })).toMatchObject({ status: 200, body: { label: 'Desk' } })
    expect(await desktop.rpc('labelSession', { label: 'Work phone', handle: phone.handle })).toMatchObject({ status: 200, body: { label: 'Work phone' } })
    devices = await desktop.devices()
    expect(devices.find(device => device.current)!.label).toBe('Desk')
    expect(devices.find(device => !device.current)!.label).toBe('Work phone')
    // The phone sees its new label, and keeps it through its own refresh (a rewrite of the meta field), polled for
    // with a bound until the refresh interval of 1 s has passed and a request refreshed the session.
    const phoneView = async () => {
      const response = await server.fetch('/api/rpc/listSessions', postJson({}, { authorization: `Bearer ${app.token}` }))
      expect(response.status).toBe(200)
      return ((await response.json()).sessions as (Device & { lastSeenAt: number })[]).find(device => device.current)!
    }
    const first = await phoneView()
    expect(first.label).toBe('Work phone')
    let refreshed = first
    for (const deadline = Date.now() + 10_000; refreshed.lastSeenAt === first.lastSeenAt && Date.now() < deadline;) {
      refreshed = await phoneView()
    }
    expect(refreshed.lastSeenAt).toBeGreaterThan(first.lastSeenAt)
    expect((await phoneView()).label).toBe('Work phone')
    // '' removes a label.
    await desktop.rpc('labelSession', { label: '' })
    expect((await desktop.devices()).find(device => device.current)!.label).toBe('')
  })

  it('are stripped of control and format characters, bounded to 64 characters, and a 400 problem otherwise', async () => {
    const browser = createBrowser()
    await browser.rpc('loginAs', { userId: 'label-input' })
    expect((await browser.rpc('labelSession', { label: '  Alice\u0000\'s\u202E iPhone\n\u200B ' })).body.label).toBe('Alice\'s iPhone')
    expect((await browser.devices())[0]!.label).toBe('Alice\'s iPhone')
    // Lone surrogates (half of a pair) show as nothing: stripped; whole pairs (emoji) stay.
    expect((await browser.rpc('labelSession', { label: 'Tab\uD800let\uDFFF \u{1F4F1}' })).body.label).toBe('Tablet \u{1F4F1}')
    expect((await browser.rpc('labelSession', { label: '\u{1F4F1}'.repeat(64) })).status).toBe(200)
    expect((await browser.devices())[0]!.label).toBe('\u{1F4F1}'.repeat(64))
    for (const label of ['x'.repeat(65), 42, null, ['a'], { a: 1 }, 'x'.repeat(100_000)]) {
      const answer = await browser.rpc('labelSession', { label })
      expect(answer.status, JSON.stringify(label).slice(0, 20)).toBe(400)
      expect(answer.type).toContain('application/problem+json')
    }
    expect((await browser.devices())[0]!.label).toBe('\u{1F4F1}'.repeat(64))
    // A bad label at login fails the login before anything changes.
    const other = createBrowser()
    const refused = await other.rpc('loginAs', { userId: 'label-input', label: 'y'.repeat(65) })
    expect(refused.status).toBe(400)
    expect(other.cookie).toBeUndefined()
    expect(await browser.rpc('labelSession', { label: 'a', handle: 'no-such-handle' })).toMatchObject({ status: 404 })
    expect(await createBrowser().rpc('labelSession', { label: 'a' })).toMatchObject({ status: 401 })
  })

  it('survive regenerate and a new login as the same user, not a login as another user', async () => {
    const browser = createBrowser()
    await browser.rpc('loginAs', { userId: 'label-rotate', label: 'Kitchen tablet' })
    const before = browser.cookie
    expect((await browser.call('/api/session/regenerate', { method: 'POST' })).status).toBe(200)
    expect(browser.cookie).not.toBe(before)
    expect((await browser.devices()).map(device => device.label)).toEqual(['Kitchen tablet'])
    await browser.rpc('loginAs', { userId: 'label-rotate' })
    expect((await browser.devices()).map(device => device.label)).toEqual(['Kitchen tablet'])
    await browser.rpc('loginAs', { userId: 'label-other' })
    expect((await browser.devices()).map(device => device.label)).toEqual([''])
  })

  it('cost no extra read: a labelled session is still read in one MGET, by cookie and by bearer token', async () => {
    const browser = createBrowser()
    await browser.rpc('loginAs', { userId: 'label-read', label: 'Laptop' })
    // Past the refresh interval of 1 s a request also writes (one script): the read itself stays one MGET.
    const readsOf = (sent: Record<string, number>) => Object.entries(sent).filter(([name]) => name !== 'evalsha')
    const cookieRead = await countCommands(redis, () => server.fetch('/api/session/state', { headers: { cookie: browser.cookie! } }))
    expect(readsOf(cookieRead.sent)).toEqual([['mget', 1]])
    const login = await server.fetch('/api/rpc/loginAs', postJson({ payload: { userId: 'label-read', label: 'Phone' } }, { 'x-storefront-transport': 'bearer' }))
    const token = login.headers.get('x-storefront-session-token')!
    const bearerRead = await countCommands(redis, () => server.fetch('/api/session/state', { headers: { authorization: `Bearer ${token}` } }))
    expect(readsOf(bearerRead.sent)).toEqual([['mget', 1]])
    console.log(`[measure] labelled user read: cookie sent ${JSON.stringify(cookieRead.sent)}, bearer sent ${JSON.stringify(bearerRead.sent)}`)
  })
})
