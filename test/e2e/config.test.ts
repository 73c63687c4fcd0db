import { describe, expect, it } from 'vitest'
import { postJson } from '../helpers/cookies'
import { freePort, startRedis } from '../helpers/redis'
import type { RedisProcess } from '../helpers/redis'
import { runFixtureExpectingExit, startFixtureServer, TEST_SECRET } from '../helpers/server'

// Options are checked once, when the built server starts: a bad one stops the start with a message that names the
// option and its variable, instead of a 500 on every request that touches a session.
describe('configuration checked at start', () => {
  const refused = async (env: Record<string, string>) => {
    const result = await runFixtureExpectingExit('basic', { NUXT_STOREFRONT_SESSION_SECRET: TEST_SECRET, ...env })
    expect(result.code, result.output).not.toBe(0)
    expect(result.code, result.output).not.toBeNull()
    expect(result.output).toContain('StorefrontConfigError')
    expect(result.output).not.toContain('Listening on')
    return result.output
  }

  it('refuses to start with an unknown session driver', async () => {
    const output = await refused({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redsi' })
    expect(output).toContain(`[storefront] storage.session.driver "redsi" is not supported: use 'memory', 'fs', 'redis' or another unstorage built-in driver`)
    expect(output).toContain('(set NUXT_STOREFRONT_STORAGE_SESSION_DRIVER)')
  })

  it('refuses to start with a store timeout that is not a number', async () => {
    const output = await refused({ NUXT_STOREFRONT_STORE_TIMEOUT: 'abc' })
    expect(output).toContain('storeTimeout "abc" is invalid')
    expect(output).toContain('NUXT_STOREFRONT_STORE_TIMEOUT')
  })

  it('refuses to start with an unknown merge policy', async () => {
    const output = await refused({ NUXT_STOREFRONT_COMMERCE_MERGE_POLICY: 'maxx' })
    expect(output).toContain('commerce.mergePolicy "maxx" is not supported')
    expect(output).toContain('NUXT_STOREFRONT_COMMERCE_MERGE_POLICY')
  })

  it('refuses to start with a bad option of one shop, named by the shop\'s variable', async () => {
    const output = await refused({ NUXT_STOREFRONT_SHOPS_1002_SESSION_MAX_AGE: '-5' })
    expect(output).toContain('shops.1002.session.maxAge -5 is invalid')
    expect(output).toContain('NUXT_STOREFRONT_SHOPS_1002_SESSION_MAX_AGE')
  })

  it('lists every problem in one error, a missing secret among them', async () => {
    const output = await refused({
      NUXT_STOREFRONT_SESSION_SECRET: '',
      NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redsi',
      NUXT_STOREFRONT_STORE_TIMEOUT: 'abc',
      NUXT_STOREFRONT_COMMERCE_MERGE_POLICY: 'maxx',
      NUXT_STOREFRONT_STORAGE_SESSION_CLUSTER: '10.0.0.1:7000,10.0.0.2',
    })
    for (const name of ['STORAGE_SESSION_DRIVER', 'STORE_TIMEOUT', 'COMMERCE_MERGE_POLICY', 'STORAGE_SESSION_CLUSTER', 'SESSION_SECRET']) {
      expect(output).toContain(`(set NUXT_STOREFRONT_${name})`)
    }
  })

  // Before: any name but memory, fs and redis passed typecheck and build, then answered every session request with a 500.
  it.each(['lru-cache', 'lruCache'])('runs on the unstorage built-in driver %s, chosen at start, and warns that it is for one instance', async (driver) => {
    const server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: driver })
    try {
      const put = await server.fetch('/api/session/put', postJson({ key: 'a', value: 1 }))
      expect(put.status).toBe(200)
      const cookie = put.headers.getSetCookie()[0]!.split(';')[0]!
      const state = await server.fetch('/api/session/state', { headers: { cookie } })
      expect(state.status).toBe(200)
      expect(JSON.stringify(await state.json())).toContain('"a":1')
      expect(server.logs()).toMatch(/keeps sessions on the "(lru-cache|lruCache)" driver through the generic store, which is safe on one server instance only/)
    }
    finally {
      await server.stop()
    }
  })

  it('starts with valid overrides and serves sessions', async () => {
    const server = await startFixtureServer('basic', {
      NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'memory',
      NUXT_STOREFRONT_STORE_TIMEOUT: '1500',
      NUXT_STOREFRONT_COMMERCE_MERGE_POLICY: 'max',
      NUXT_STOREFRONT_RPC_ALLOWED_ORIGINS: '["http://127.0.0.1"]',
    })
    try {
      const response = await server.fetch('/api/session/put', postJson({ key: 'a', value: 1 }))
      expect(response.status).toBe(200)
      expect(server.logs()).not.toContain('StorefrontConfigError')
    }
    finally {
      await server.stop()
    }
  })

  it('refuses to start with a cookie name or domain that would break Set-Cookie', async () => {
    const name = await refused({ NUXT_STOREFRONT_SESSION_COOKIE_NAME: 'bad name;x' })
    expect(name).toContain('session.cookieName "bad name;x" is invalid')
    expect(name).toContain('(set NUXT_STOREFRONT_SESSION_COOKIE_NAME)')
    const domain = await refused({ NUXT_STOREFRONT_SHOPS_1002_SESSION_DOMAIN: 'https://shop.example' })
    expect(domain).toContain('shops.1002.session.domain "https://shop.example" is invalid')
    expect(domain).toContain('(set NUXT_STOREFRONT_SHOPS_1002_SESSION_DOMAIN)')
  })
})

// A store is created once the server listens (the app's storefront:storage hook may choose it). A driver that cannot
// be created is printed once, naming the option and its variable, and the shop's session requests answer 503
// problem+json, not a 500 with a stack trace each. Before, `NUXT_STOREFRONT_STORAGE_SESSION_DRIVER=mongodb` (not
// bundled, its packages not installed) started silently and every session request was a 500.
describe('session store checked at start', () => {
  const reportedAtStart = async (env: Record<string, string>, shopId = '1001') => {
    const server = await startFixtureServer('basic', env)
    try {
      await expect.poll(() => server.logs(), { timeout: 10_000 }).toContain(`StorefrontConfigError: the session store of shop ${shopId} cannot start`)
      for (let i = 0; i < 3; i++) {
        const put = await server.fetch('/api/session/put', postJson({ key: 'a', value: 1 }, { 'x-shop-id': shopId }))
        expect(put.status).toBe(503)
        expect(put.headers.get('content-type')).toBe('application/problem+json')
      }
      const logs = server.logs()
      expect(logs.match(/StorefrontConfigError/g)).toHaveLength(1)
      expect(logs).not.toContain('unexpected error')
      return { server, logs }
    }
    catch (error) {
      await server.stop()
      throw error
    }
  }

  it('reports a driver that cannot be loaded once, named by its variable, and answers 503', async () => {
    const { server, logs } = await reportedAtStart({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'mongodb' })
    await server.stop()
    expect(logs).toContain('[storefront] storage.session.driver "mongodb" could not be loaded')
    expect(logs).toContain('set NUXT_STOREFRONT_STORAGE_SESSION_DRIVER')
  })

  it('names the shop\'s own variable for a shop\'s driver, and the other shop keeps working', async () => {
    const { server, logs } = await reportedAtStart({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'memory', NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_DRIVER: 'mongodb' }, '1002')
    try {
      expect(logs).toContain('[storefront] shops.1002.storage.session.driver "mongodb" could not be loaded')
      expect(logs).toContain('set NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_DRIVER')
      expect((await server.fetch('/api/session/put', postJson({ key: 'a', value: 1 }))).status).toBe(200)
    }
    finally {
      await server.stop()
    }
  })

  it('reports a driver the storefront:storage hook set, saying so', async () => {
    const missing = await reportedAtStart({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'memory', STOREFRONT_TEST_HOOK_DRIVER: 'mongodb' })
    await missing.server.stop()
    expect(missing.logs).toContain('[storefront] storage.session.driver "mongodb" could not be loaded')
    expect(missing.logs).toContain('set by the app\'s storefront:storage hook')
    const unknown = await reportedAtStart({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'memory', STOREFRONT_TEST_HOOK_DRIVER: 'redsi' })
    await unknown.server.stop()
    expect(unknown.logs).toContain('[storefront] storage.session.driver "redsi" is not supported')
  })

  it('keeps running while Redis is down at start, and uses it once it comes up', async () => {
    const port = await freePort()
    const server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: `redis://127.0.0.1:${port}`, NUXT_STOREFRONT_STORE_TIMEOUT: '500' })
    let redis: RedisProcess | undefined
    try {
      const put = () => server.fetch('/api/session/put', postJson({ key: 'a', value: 1 }))
      await expect.poll(() => server.logs(), { timeout: 10_000 }).toContain('is not connected to Redis after 500 ms')
      expect((await put()).status).toBe(503)
      expect(server.logs()).not.toContain('StorefrontConfigError')
      redis = await startRedis({ port })
      await expect.poll(async () => (await put()).status, { timeout: 15_000 }).toBe(200)
    }
    finally {
      await server.stop()
      await redis?.dispose()
    }
  })
})
