import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson } from '../helpers/cookies'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// The basic fixture's server/rpc folder: one listed override, one unlisted, one public (GET) method.
let server: FixtureServer

beforeAll(async () => {
  server = await startFixtureServer('basic')
})

afterAll(async () => {
  await server?.stop()
})

const rpc = (method: string, payload?: unknown) => server.fetch(`/api/rpc/${method}`, postJson({ payload }))

describe('method registry', () => {
  it('uses an app method in place of a built-in one when rpc.overrides lists it', async () => {
    expect(await (await rpc('getBasket')).json()).toEqual({ items: [], replaced: true })
  })

  it('keeps the built-in method when the app\'s file is not listed in rpc.overrides', async () => {
    expect(await (await rpc('getWishlist')).json()).toEqual({ items: [] })
  })

  it('serves a public method over GET with ?payload=<json>, and over POST', async () => {
    const payload = encodeURIComponent(JSON.stringify({ q: 'shirts', __proto__: { polluted: true } }))
    const viaGet = await server.fetch(`/api/rpc/echo?payload=${payload}`)
    expect(viaGet.status).toBe(200)
    expect(await viaGet.json()).toEqual({ params: { q: 'shirts' }, shopId: '1001' })
    expect(await (await rpc('echo', { q: 1 })).json()).toEqual({ params: { q: 1 }, shopId: '1001' })
    expect((await server.fetch('/api/rpc/echo?payload={bad')).status).toBe(400)
  })

  it('refuses GET for a method that is not public', async () => {
    const response = await server.fetch('/api/rpc/getUser')
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
    expect(response.headers.get('content-type')).toContain('application/problem+json')
  })
})
