import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setCookieHeader } from '../helpers/cookies'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// `trustProxy`: the X-Forwarded-Host and X-Forwarded-Proto of a TLS-terminating proxy give the request's origin
// (what a form post's Origin is compared with); without it, only the Host header and the connection count.
let trusting: FixtureServer
let direct: FixtureServer

beforeAll(async () => {
  [trusting, direct] = await Promise.all([
    startFixtureServer('basic', { NUXT_STOREFRONT_TRUST_PROXY: 'true' }),
    startFixtureServer('basic'),
  ])
})

afterAll(async () => {
  await Promise.all([trusting?.stop(), direct?.stop()])
})

// A form post from a browser that sends Origin but no Fetch Metadata.
const postForm = (server: FixtureServer, headers: Record<string, string>) => server.fetch('/api/form/noteFromForm', {
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: 'note=hello&redirect=%2F',
})

describe('with trustProxy', () => {
  const proxied = { 'x-forwarded-host': 'shop.example', 'x-forwarded-proto': 'https' }

  it('takes a form posted from the public https origin the proxy forwards', async () => {
    const response = await postForm(trusting, { ...proxied, origin: 'https://shop.example' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    // The cookie is Secure in production whatever the hop to the server was.
    expect(setCookieHeader(response, '$session-1001')).toMatch(/;\s*Secure/i)
  })

  it('still refuses another origin, and the public origin over plain http', async () => {
    expect((await postForm(trusting, { ...proxied, origin: 'https://evil.example' })).status).toBe(403)
    expect((await postForm(trusting, { ...proxied, origin: 'http://shop.example' })).status).toBe(403)
  })
})

describe('without trustProxy', () => {
  it('ignores X-Forwarded-Proto and X-Forwarded-Host', async () => {
    const own = `http://127.0.0.1:${direct.port}`
    expect((await postForm(direct, { origin: own })).status).toBe(303)
    expect((await postForm(direct, { 'origin': `https://127.0.0.1:${direct.port}`, 'x-forwarded-proto': 'https' })).status).toBe(403)
    expect((await postForm(direct, { 'origin': 'https://shop.example', 'x-forwarded-host': 'shop.example', 'x-forwarded-proto': 'https' })).status).toBe(403)
  })
})
