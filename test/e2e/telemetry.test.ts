import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar } from '../helpers/jar'
import { startRedis } from '../helpers/redis'
import type { RedisProcess } from '../helpers/redis'
import { startFixtureServer } from '../helpers/server'
import type { FixtureServer } from '../helpers/server'

// Metrics and traces through @opentelemetry/api, read back from the OpenTelemetry SDK's in-memory exporters that the
// built fixture registers in a server plugin (STOREFRONT_TEST_OTEL=1), on a real redis-server.

interface Point { name: string, attributes: Record<string, string>, value: number | { count: number, sum: number } }
interface SpanRecord { name: string, traceId: string, spanId: string, parentSpanId?: string, attributes: Record<string, unknown>, status: number }

let redis: RedisProcess
let server: FixtureServer

beforeAll(async () => {
  redis = await startRedis()
  server = await startFixtureServer('basic', {
    NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
    NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url,
    STOREFRONT_TEST_OTEL: '1',
  })
})

afterAll(async () => {
  await server?.stop()
  await redis?.dispose()
})

async function collect(): Promise<{ enabled: boolean, points: Point[], spans: SpanRecord[] }> {
  return await (await server.fetch('/api/telemetry/collect')).json()
}

const sum = (points: Point[], name: string, attributes: Record<string, string> = {}) => points
  .filter(point => point.name === name && Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
  .reduce((total, point) => total + (typeof point.value === 'number' ? point.value : point.value.count), 0)

describe('with an OpenTelemetry SDK registered by the app', () => {
  it('counts loads, creations, logins with the merge outcome and destroys, and times every store operation', async () => {
    const before = await collect()
    expect(before.enabled).toBe(true)
    const shop = { 'storefront.shop': '1001' }
    const jar = new CookieJar()
    expect((await jar.rpc(server, 'addItemToBasket', { variantId: 3, quantity: 2 })).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await jar.rpc(server, 'getBasket')).status).toBe(200)
    expect((await jar.rpc(server, 'loginAs', { userId: 'otel-user' })).body.user.id).toBe('otel-user')
    const empty = new CookieJar()
    expect((await empty.rpc(server, 'loginAs', { userId: 'otel-other' })).status).toBe(200)
    expect((await jar.rpc(server, 'logout')).status).toBe(200)

    const { points } = await collect()
    const delta = (name: string, attributes: Record<string, string> = shop) => sum(points, name, attributes) - sum(before.points, name, attributes)
    expect(delta('storefront.session.loads')).toBeGreaterThanOrEqual(4)
    // The guest's session, then one per login.
    expect(delta('storefront.session.creations')).toBe(3)
    expect(delta('storefront.logins')).toBe(2)
    expect(delta('storefront.merges', { ...shop, 'storefront.merge.outcome': 'merged' })).toBe(1)
    expect(delta('storefront.merges', { ...shop, 'storefront.merge.outcome': 'nothing' })).toBe(1)
    // The guest session ended at login, the user's at logout.
    expect(delta('storefront.session.destroys')).toBe(2)
    const reads = points.find(point => point.name === 'storefront.store.duration' && point.attributes['storefront.operation'] === 'read')
    expect(reads?.value).toEqual({ count: expect.any(Number), sum: expect.any(Number) })
    expect((reads!.value as { count: number }).count).toBeGreaterThanOrEqual(4)
    expect((reads!.value as { sum: number }).sum).toBeGreaterThan(0)
    expect(points.find(point => point.name === 'storefront.store.duration' && point.attributes['storefront.operation'] === 'create')).toBeDefined()
  })

  it('gives each store round trip a span, a child of the request\'s span when one is active', async () => {
    const jar = new CookieJar()
    expect((await jar.rpc(server, 'addItemToBasket', { variantId: 4, quantity: 1 })).status).toBe(200)
    const response = await server.fetch('/api/telemetry/traced', { headers: { cookie: jar.cookie! } })
    const traced = await response.json() as { traceId: string, spanId: string, isNew: boolean }
    expect(traced.isNew).toBe(false)
    const { spans } = await collect()
    const children = spans.filter(span => span.traceId === traced.traceId && span.name.startsWith('storefront.store '))
    expect(children.map(span => span.name)).toEqual(['storefront.store read'])
    expect(children[0]!.parentSpanId).toBe(traced.spanId)
    expect(children[0]!.attributes).toMatchObject({ 'storefront.shop': '1001', 'storefront.operation': 'read', 'db.system': 'redis' })
    // Without an active span, a store span starts a trace of its own.
    const roots = spans.filter(span => span.name === 'storefront.store create' && !span.parentSpanId)
    expect(roots.length).toBeGreaterThan(0)
  })

  it('gives the basket and wishlist store\'s round trips spans and durations too, a login\'s merge included', async () => {
    const jar = new CookieJar()
    expect((await jar.rpc(server, 'addItemToBasket', { variantId: 6, quantity: 1 })).status).toBe(200)
    expect((await jar.rpc(server, 'addItemToWishlist', { productId: 6 })).status).toBe(200)
    expect((await jar.rpc(server, 'loginAs', { userId: 'telemetry-merge' })).status).toBe(200)
    const { points, spans } = await collect()
    const names = new Set(spans.map(span => span.name))
    for (const operation of ['writeBasket', 'writeWishlist', 'claimGuest', 'mergeGuest']) {
      expect(names, operation).toContain(`storefront.store ${operation}`)
      expect(points.find(point => point.name === 'storefront.store.duration' && point.attributes['storefront.operation'] === operation), operation).toBeDefined()
    }
    expect(spans.find(span => span.name === 'storefront.store writeBasket')!.attributes).toMatchObject({ 'storefront.shop': '1001', 'db.system': 'redis' })
  })

  it('counts store errors and 503 answers while Redis is down', async () => {
    const jar = new CookieJar()
    expect((await jar.rpc(server, 'addItemToBasket', { variantId: 5, quantity: 1 })).status).toBe(200)
    const before = await collect()
    await redis.stop()
    try {
      const answers = []
      for (let i = 0; i < 3; i++) answers.push((await jar.rpc(server, 'getBasket')).status)
      expect(answers).toEqual([503, 503, 503])
      // A page's 503 (HTML) counts too.
      const page = await server.fetch('/', { headers: { cookie: jar.cookie!, accept: 'text/html' } })
      expect(page.status).toBe(503)
      expect(page.headers.get('content-type')).toContain('text/html')
      const { points, spans } = await collect()
      expect(sum(points, 'storefront.responses.unavailable') - sum(before.points, 'storefront.responses.unavailable')).toBe(4)
      // Three RPC reads and the page's.
      expect(sum(points, 'storefront.store.errors', { 'storefront.operation': 'read' }) - sum(before.points, 'storefront.store.errors', { 'storefront.operation': 'read' })).toBe(4)
      expect(spans.filter(span => span.name === 'storefront.store read' && span.status === 2).length).toBeGreaterThanOrEqual(3)
    }
    finally {
      await redis.start()
    }
  })
})
