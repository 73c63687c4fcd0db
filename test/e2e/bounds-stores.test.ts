import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { FixtureServer } from '../helpers/server'
import { runFixtureExpectingExit, startFixtureServer, TEST_SECRET } from '../helpers/server'
import { createShopper } from '../helpers/shopper'

// Bounded under abuse (issue 15), on the stores other than Redis: the embedded memory store survives an anonymous
// flood with every shopper's session and basket, production never falls back to it silently, and the fs store
// removes every key the module wrote once it expired.

const servers: FixtureServer[] = []
const dirs: string[] = []

afterAll(async () => {
  await Promise.all(servers.map(server => server.stop()))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('finding 2: anonymous traffic cannot log anyone out of the embedded store', () => {
  it('refuses a production start without a store chosen, naming the option and its variable', async () => {
    const { code, output } = await runFixtureExpectingExit('basic', { NUXT_STOREFRONT_SESSION_SECRET: TEST_SECRET, NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: '' })
    expect(code).not.toBe(0)
    expect(code).not.toBeNull()
    expect(output).toContain('storage.session.driver is not set')
    expect(output).toContain('NUXT_STOREFRONT_STORAGE_SESSION_DRIVER')
  })

  it('keeps Alice\'s session and basket through 60,000 cookieless basket adds on the memory store', async () => {
    // The memory store chosen explicitly, as production requires.
    const server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'memory' })
    servers.push(server)
    const alice = createShopper(server)
    expect((await alice.rpc('loginAs', { userId: 'alice', fields: { firstName: 'Alice' } })).status).toBe(200)
    expect((await alice.rpc('addItemToBasket', { variantId: 42, quantity: 2 })).status).toBe(200)

    const started = performance.now()
    let next = 0
    let failed = 0
    const body = JSON.stringify({ payload: { variantId: 1, quantity: 1 } })
    // 50 connections, each guest without a cookie: a new guest session and a guest basket per request.
    await Promise.all(Array.from({ length: 50 }, async () => {
      while (next < 60_000) {
        next++
        const response = await server.fetch('/api/rpc/addItemToBasket', { method: 'POST', headers: { 'content-type': 'application/json', 'x-shop-id': '1001' }, body })
        await response.arrayBuffer()
        if (response.status !== 200) failed++
      }
    }))
    const seconds = (performance.now() - started) / 1000
    console.log(`[measure] 60,000 cookieless basket adds on the memory store in ${seconds.toFixed(1)} s (${failed} not 200)`)
    expect(failed).toBe(0)

    const user = await alice.rpc('getUser')
    expect(user.status).toBe(200)
    expect(user.body.user).toMatchObject({ id: 'alice', firstName: 'Alice' })
    const basket = await alice.rpc('getBasket')
    expect(JSON.stringify(basket.body)).toContain('"variantId":42')
  }, 300_000)
})

describe('finding 4: the fs store removes everything the module wrote once it expired', () => {
  it('is empty after every TTL passed and the sweep ran', async () => {
    const base = mkdtempSync(join(tmpdir(), 'storefront-fs-'))
    dirs.push(base)
    const server = await startFixtureServer('basic', {
      NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'fs',
      NUXT_STOREFRONT_STORAGE_SESSION_BASE: base,
      // Every lifetime 2 s: sessions, users' records and indexes, commerce data, markers (they live as long as a
      // guest session can, absoluteMaxAge), idempotency records; the sweep runs every maxAge.
      NUXT_STOREFRONT_SESSION_MAX_AGE: '2',
      NUXT_STOREFRONT_SESSION_ABSOLUTE_MAX_AGE: '2',
      NUXT_STOREFRONT_COMMERCE_DATA_TTL: '2',
    })
    servers.push(server)
    const files = () => readdirSync(base, { recursive: true, withFileTypes: true }).filter(entry => entry.isFile()).map(entry => join(entry.parentPath, entry.name))

    // Guests with baskets and wishlists; some log in (merge markers, login locks, the user's index and record, the
    // user's basket), with Idempotency-Keys on their writes.
    for (let i = 0; i < 6; i++) {
      const shopper = createShopper(server)
      const once = () => ({ headers: { 'idempotency-key': randomUUID() } })
      expect((await shopper.rpc('addItemToBasket', { variantId: 10 + i, quantity: 1 })).status).toBe(200)
      expect((await shopper.rpc('addItemToWishlist', { productId: 10 + i }, once())).status).toBe(200)
      expect((await shopper.rpc('addItemToBasket', { variantId: 20 + i, quantity: 1 }, once())).status).toBe(200)
      if (i % 2 === 0) {
        expect((await shopper.rpc('loginAs', { userId: `fs-${i}` })).status).toBe(200)
        expect((await shopper.rpc('addItemToBasket', { variantId: 30 + i, quantity: 1 }, once())).status).toBe(200)
        expect((await shopper.rpc('addItemToWishlist', { productId: 30 + i })).status).toBe(200)
      }
    }
    const written = files()
    console.log(`[measure] fs store: ${written.length} files written`)
    expect(written.some(file => file.endsWith('/b'))).toBe(true)
    // A user's merge markers are stored in its basket's and wishlist's values.
    const markers = (file: string) => Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { v?: { m?: object } }).v?.m ?? {}).length
    expect(written.some(file => /\{u[:/][^}]+\}[/:]b$/.test(file) && markers(file) > 0)).toBe(true)

    // The longest lifetime is the login lock's, 30 s (a login holds it on the guest while it merges).
    const started = Date.now()
    const end = started + 50_000
    while (files().length > 0 && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 200))
    console.log(`[measure] fs store empty ${((Date.now() - started) / 1000).toFixed(1)} s after the last write; left: ${files().length}`)
    expect(files()).toEqual([])
  }, 90_000)
})
