import { join } from 'node:path'
import { fetch, setup } from '@nuxt/test-utils/e2e'
import { describe, expect, it } from 'vitest'
import { FIXTURES } from '../helpers/build-fixtures'
import { cookieAttributes, postJson, setCookieHeader, setCookiePair } from '../helpers/cookies'
import { TEST_SECRET } from '../helpers/server'

// The session engine over HTTP on the built basic fixture, embedded memory store, through @nuxt/test-utils.
await setup({
  rootDir: FIXTURES.basic,
  build: false,
  server: true,
  buildDir: join(FIXTURES.basic, '.nuxt'),
  nuxtConfig: { nitro: { output: { dir: join(FIXTURES.basic, '.output') } } },
  // The basic fixture chooses no store at build time: a production start must name one.
  env: { NUXT_STOREFRONT_SESSION_SECRET: TEST_SECRET, NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'memory' },
})

const C1001 = '$session-1001'
const C1002 = '$session-1002'

async function state(cookie?: string, headers: Record<string, string> = {}) {
  const response = await fetch('/api/session/state', { headers: { ...(cookie ? { cookie } : {}), ...headers } })
  expect(response.status).toBe(200)
  return { response, body: await response.json() as { shopId: string, isNew: boolean, data: Record<string, unknown>, notice: string | null } }
}

async function newSession(data: Record<string, unknown>, headers: Record<string, string> = {}, name = C1001) {
  let cookie: string | undefined
  for (const [key, value] of Object.entries(data)) {
    const response = await fetch('/api/session/put', postJson({ key, value }, { ...headers, ...(cookie ? { cookie } : {}) }))
    expect(response.status).toBe(200)
    cookie ??= setCookiePair(response, name)
  }
  expect(cookie).toBeDefined()
  return cookie!
}

describe('lazy creation', () => {
  it('sets no cookie for an anonymous page, an anonymous API call or a read-only request', async () => {
    for (const path of ['/', '/api/anonymous', '/api/session/state']) {
      const response = await fetch(path)
      expect(response.status).toBe(200)
      expect(response.headers.getSetCookie()).toEqual([])
    }
  })

  it('issues the cookie on the first write only', async () => {
    const first = await fetch('/api/session/put', postJson({ key: 'a', value: 1 }))
    const cookie = setCookiePair(first, C1001)
    expect(cookie).toMatch(/^\$session-1001=s%3A[0-9a-f-]{36}\.[\w-]{43}$/)
    const second = await fetch('/api/session/put', postJson({ key: 'b', value: 2 }, { cookie: cookie! }))
    expect(second.headers.getSetCookie()).toEqual([])
    expect((await state(cookie)).body.data).toEqual({ a: 1, b: 2 })
  })

  it('gives a route with an SWR rule no session and no cookie', async () => {
    const response = await fetch('/api/cached')
    expect(response.status).toBe(200)
    expect(response.headers.getSetCookie()).toEqual([])
  })
})

describe('cookies per shop', () => {
  it('sets HttpOnly, Secure, SameSite and Max-Age from each shop\'s merged settings', async () => {
    const a = await fetch('/api/session/put', postJson({ key: 'k', value: 1 }))
    const b = await fetch('/api/session/put', postJson({ key: 'k', value: 1 }, { 'x-shop-id': '1002' }))
    const attrs1001 = cookieAttributes(setCookieHeader(a, C1001)!)
    const attrs1002 = cookieAttributes(setCookieHeader(b, C1002)!)
    expect(attrs1001).toMatchObject({ 'httponly': true, 'secure': true, 'samesite': 'Lax', 'max-age': '86400', 'path': '/' })
    expect(attrs1002).toMatchObject({ 'httponly': true, 'secure': true, 'samesite': 'Strict', 'max-age': '3600', 'path': '/' })
    expect(setCookieHeader(b, C1001)).toBeUndefined()
  })

  it('keeps the shops apart: one shop\'s cookie value is a guest in another shop', async () => {
    const cookie = await newSession({ secret: 'shop-1001 only' })
    const value = cookie.slice(C1001.length + 1)
    const other = await state(`${C1002}=${value}`, { 'x-shop-id': '1002' })
    expect(other.body).toMatchObject({ shopId: '1002', isNew: true, data: {} })
    expect((await state(cookie)).body.data).toEqual({ secret: 'shop-1001 only' })
  })

  it('answers an unknown x-shop-id with a 400 problem instead of falling back, on a route outside the RPC layer too', async () => {
    const response = await fetch('/api/session/state', { headers: { 'x-shop-id': '9999' } })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(await response.json()).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'unknown shop "9999" in x-shop-id' })
  })
})

describe('tampering', () => {
  it('treats every malformed cookie as a fresh guest, never a 5xx, and leaves the real session intact', async () => {
    const cookie = await newSession({ owner: 'real' })
    const value = decodeURIComponent(cookie.slice(C1001.length + 1))
    const id = value.slice(2, value.lastIndexOf('.'))
    const signature = value.slice(value.lastIndexOf('.') + 1)
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    const bad = [
      `s:${id}.${flip(signature, 5)}`,
      `s:${flip(id, 0)}.${signature}`,
      value.slice(0, -3),
      id,
      `s:${id}.`,
      `s:${'a'.repeat(8200)}.${signature}`,
      `s:ünïcödé-\u0001.${signature}`,
      `s:../../etc/passwd.${signature}`,
      '%E0%A4%A',
    ]
    for (const candidate of bad) {
      const { body } = await state(`${C1001}=${encodeURIComponent(candidate)}`)
      expect(body, candidate.slice(0, 40)).toMatchObject({ isNew: true, data: {} })
    }
    expect((await state(cookie)).body.data).toEqual({ owner: 'real' })
  })

  it('uses the one valid value among duplicates, and refuses two different valid sessions', async () => {
    const real = await newSession({ owner: 'real' })
    const planted = await newSession({ owner: 'planted' })
    expect((await state(`${C1001}=junk; ${real}`)).body.data).toEqual({ owner: 'real' })
    expect((await state(`${planted}; ${real}`)).body).toMatchObject({ isNew: true, data: {} })
    expect((await state(real)).body.data).toEqual({ owner: 'real' })
  })
})

describe('data API', () => {
  it('keeps a flash value for the next request only', async () => {
    const cookie = await newSession({ a: 1 })
    await fetch('/api/session/flash', postJson({ value: 'saved' }, { cookie }))
    expect((await state(cookie)).body.notice).toBe('saved')
    expect((await state(cookie)).body.notice).toBeNull()
  })

  // Regression: all() once assigned keys one by one, so a key named __proto__ became the object's prototype and
  // vanished from it.
  it('keeps a data key named __proto__ as a plain key', async () => {
    const cookie = await newSession({ ['__proto__']: { admin: true }, plain: 1 })
    const { body } = await state(cookie)
    expect(Object.keys(body.data).sort()).toEqual(['__proto__', 'plain'])
    expect(Object.getOwnPropertyDescriptor(body.data, '__proto__')?.value).toEqual({ admin: true })
  })

  it('forgets a key', async () => {
    const cookie = await newSession({ a: 1, b: 2 })
    await fetch('/api/session/forget', postJson({ key: 'a' }, { cookie }))
    expect((await state(cookie)).body.data).toEqual({ b: 2 })
  })

  it('regenerates: a new id with the same data, and the old id is dead', async () => {
    const cookie = await newSession({ kept: true })
    const response = await fetch('/api/session/regenerate', postJson({}, { cookie }))
    const next = setCookiePair(response, C1001)
    expect(next).toBeDefined()
    expect(next).not.toBe(cookie)
    expect((await state(next)).body.data).toEqual({ kept: true })
    expect((await state(cookie)).body).toMatchObject({ isNew: true, data: {} })
  })

  it('destroys: the cookie is cleared and the old id is dead', async () => {
    const cookie = await newSession({ gone: true })
    const response = await fetch('/api/session/destroy', postJson({}, { cookie }))
    expect(cookieAttributes(setCookieHeader(response, C1001)!)['max-age']).toBe('0')
    expect((await state(cookie)).body).toMatchObject({ isNew: true, data: {} })
  })

  it('refuses data over the size limit with a 413 and saves nothing of that request', async () => {
    const cookie = await newSession({ small: 1 })
    const response = await fetch('/api/session/put-many', postJson({ entries: [['first', 'x'], ['huge', 'y'.repeat(70_000)]] }, { cookie }))
    expect(response.status).toBe(413)
    expect(response.headers.get('content-type')).toContain('application/problem+json')
    expect(await response.json()).toMatchObject({ status: 413, title: 'Content Too Large' })
    expect((await state(cookie)).body.data).toEqual({ small: 1 })
  })
})
