import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { createEvent } from 'h3'
import type { H3Error } from 'h3'
import { describe, expect, it } from 'vitest'
import type { ModuleOptions } from '../../src/runtime/types'
import { MIN_SECRET_LENGTH, resolveShops, StorefrontConfigError } from '../../src/runtime/server/session/config'
import { selectShop } from '../../src/runtime/server/session/shop'

const SECRET = 'a-production-secret-of-32-chars!!'
const OTHER = 'another-production-secret-32-chars'
const dev = { production: false }
const prod = { production: true }

function shopOf(options: ModuleOptions, id: string, env = dev) {
  const shop = resolveShops(options, env).byId.get(id)
  expect(shop, `shop ${id}`).toBeDefined()
  return shop!
}

function configError(run: () => unknown): StorefrontConfigError {
  try {
    run()
  }
  catch (error) {
    expect(error).toBeInstanceOf(StorefrontConfigError)
    return error as StorefrontConfigError
  }
  throw new Error('expected a StorefrontConfigError')
}

describe('resolveShops', () => {
  it('has a default shop 1001 with the documented defaults', () => {
    const shops = resolveShops({}, dev)
    expect([...shops.byId.keys()]).toEqual(['1001'])
    expect(shops.defaultShopId).toBe('1001')
    expect(shops.selector).toBe('path_or_default')
    expect(shops.trustProxy).toBe(false)
    expect(shops.byId.get('1001')).toMatchObject({
      id: '1001',
      path: '/',
      cookieName: '$session-1001',
      sameSite: 'lax',
      maxAgeMs: 86_400_000,
      refreshIntervalMs: 21_600_000,
      absoluteMaxAgeMs: 0,
      secure: false,
    })
  })

  it('makes cookies secure by default in production only', () => {
    expect(shopOf({ session: { secret: SECRET } }, '1001', prod).secure).toBe(true)
    expect(shopOf({}, '1001', dev).secure).toBe(false)
    expect(shopOf({ session: { secure: true } }, '1001', dev).secure).toBe(true)
    expect(shopOf({ session: { secret: SECRET, secure: false } }, '1001', prod).secure).toBe(false)
  })

  it('merges per-shop session settings over the top-level ones, the shop winning', () => {
    const options: ModuleOptions = {
      session: { maxAge: 100, sameSite: 'strict' },
      shops: { 1001: { path: '/' }, 1002: { path: '/de', session: { maxAge: 50 } } },
    }
    expect(shopOf(options, '1001')).toMatchObject({ maxAgeMs: 100_000, refreshIntervalMs: 25_000, sameSite: 'strict' })
    expect(shopOf(options, '1002')).toMatchObject({ maxAgeMs: 50_000, refreshIntervalMs: 12_500, sameSite: 'strict', cookieName: '$session-1002' })
  })

  it('drops the default shop when shops of your own are configured', () => {
    const shops = resolveShops({ shops: { 2001: { path: '/en' }, 2002: { path: '/de' } } }, dev)
    expect([...shops.byId.keys()]).toEqual(['2001', '2002'])
    expect(shops.defaultShopId).toBe('2001')
    expect(shops.byId.get('2001')!.path).toBe('/en')
  })

  describe('secrets', () => {
    it('accepts a string', () => {
      expect(shopOf({ session: { secret: SECRET } }, '1001', prod).secrets).toEqual([SECRET])
    })

    it('accepts an array, the signing secret last', () => {
      expect(shopOf({ session: { secret: [OTHER, SECRET] } }, '1001', prod).secrets).toEqual([OTHER, SECRET])
    })

    it('accepts a JSON array in a string, as NUXT_STOREFRONT_SESSION_SECRET gives it', () => {
      const fromEnv = JSON.stringify([OTHER, SECRET])
      expect(shopOf({ session: { secret: fromEnv } }, '1001', prod).secrets).toEqual([OTHER, SECRET])
    })

    // Regression: defu concatenates arrays, so the shop's list once became [shop…, top-level…] and the shop signed
    // with secrets.at(-1), the top-level secret.
    it('lets a shop\'s own secret list replace the top-level one', () => {
      const options: ModuleOptions = {
        session: { secret: [OTHER] },
        shops: { 1001: { path: '/' }, 1002: { path: '/de', session: { secret: [SECRET] } } },
      }
      expect(shopOf(options, '1002', prod).secrets).toEqual([SECRET])
    })

    it('refuses production without a secret and says what to set', () => {
      const error = configError(() => resolveShops({}, prod))
      expect(error.message).toContain('NUXT_STOREFRONT_SESSION_SECRET')
    })

    it('refuses a production secret shorter than 32 characters', () => {
      const short = 'x'.repeat(MIN_SECRET_LENGTH - 1)
      expect(MIN_SECRET_LENGTH).toBe(32)
      expect(configError(() => resolveShops({ session: { secret: short } }, prod)).message).toContain('NUXT_STOREFRONT_SESSION_SECRET')
      configError(() => resolveShops({ session: { secret: [SECRET, short] } }, prod))
      expect(shopOf({ session: { secret: 'x'.repeat(MIN_SECRET_LENGTH) } }, '1001', prod).secrets).toHaveLength(1)
    })

    it('makes up a random secret of at least 32 characters in development, shared by all shops', () => {
      const shops = resolveShops({ shops: { 1001: { path: '/' }, 1002: { path: '/de' } } }, dev)
      const [secret] = shops.byId.get('1001')!.secrets
      expect(shops.byId.get('1001')!.secrets).toHaveLength(1)
      expect(secret!.length).toBeGreaterThanOrEqual(32)
      expect(shops.byId.get('1002')!.secrets).toEqual([secret])
      // A fixed fallback would be a publicly known secret.
      expect(resolveShops({}, dev).byId.get('1001')!.secrets[0]).not.toBe(secret)
    })
  })

  describe('invalid options', () => {
    it('refuses an invalid shop id', () => {
      for (const id of ['a/b', '../x', 'a:b', 'x'.repeat(33), 'a b']) {
        expect(configError(() => resolveShops({ shops: { [id]: { path: '/' } } }, dev)).message).toContain(JSON.stringify(id))
      }
    })

    it('refuses an invalid sameSite', () => {
      const error = configError(() => resolveShops({ session: { sameSite: 'sometimes' as 'lax' } }, dev))
      expect(error.message).toContain('sometimes')
    })

    it('refuses a maxAge that is not a positive number', () => {
      for (const maxAge of [0, -1, Number.NaN]) {
        expect(configError(() => resolveShops({ session: { maxAge } }, dev)).message).toContain('session.maxAge')
      }
      configError(() => resolveShops({ shops: { 1001: { session: { maxAge: -5 } } } }, dev))
    })

    it('refuses an unknown defaultShopId and an unknown shopSelector', () => {
      configError(() => resolveShops({ defaultShopId: '9999' }, dev))
      configError(() => resolveShops({ shopSelector: 'cookie' as 'path' }, dev))
    })
  })

  it('forces secure cookies for sameSite none', () => {
    expect(shopOf({ session: { sameSite: 'none', secure: false } }, '1001', dev)).toMatchObject({ sameSite: 'none', secure: true })
  })
})

describe('selectShop', () => {
  function eventFor(url: string, headers: Record<string, string> = {}) {
    const req = new IncomingMessage(new Socket())
    req.url = url
    req.headers = { host: 'shop.example', ...headers }
    return createEvent(req, new ServerResponse(req))
  }

  function h3Error(run: () => unknown): H3Error {
    try {
      run()
    }
    catch (error) {
      return error as H3Error
    }
    throw new Error('expected an h3 error')
  }

  const byPath = resolveShops({ shops: { 1001: { path: '/' }, 1002: { path: '/de' } } }, dev)
  const byDomain = resolveShops({
    shopSelector: 'domain',
    shops: { 1001: { domain: 'shop.example' }, 1002: { domain: 'Shop.Example.DE' } },
  }, dev)
  const pathOnly = resolveShops({ shopSelector: 'path', shops: { 1001: { path: '/en' }, 1002: { path: '/de' } } }, dev)

  it('picks the shop with the longest matching path prefix', () => {
    const shop = selectShop(eventFor('/de/x?y=1'), byPath)
    expect(shop.id).toBe('1002')
    expect(shop.path).toBe('/de')
    expect(selectShop(eventFor('/de'), byPath).id).toBe('1002')
  })

  it('falls back to the default shop', () => {
    expect(selectShop(eventFor('/'), byPath).id).toBe('1001')
    expect(selectShop(eventFor('/dex'), byPath).id).toBe('1001')
  })

  it('honours a known x-shop-id header', () => {
    expect(selectShop(eventFor('/', { 'x-shop-id': '1002' }), byPath).id).toBe('1002')
  })

  it('answers an unknown x-shop-id with a 400', () => {
    const error = h3Error(() => selectShop(eventFor('/', { 'x-shop-id': '9999' }), byPath))
    expect(error.statusCode).toBe(400)
    expect(error.message).toContain('9999')
  })

  it('picks the shop of the host with the domain selector', () => {
    expect(selectShop(eventFor('/', { host: 'shop.example.de:3000' }), byDomain).id).toBe('1002')
    expect(selectShop(eventFor('/de/x', { host: 'shop.example' }), byDomain).id).toBe('1001')
  })

  it('answers an x-shop-id of another domain with a 400', () => {
    const error = h3Error(() => selectShop(eventFor('/', { 'host': 'shop.example.de', 'x-shop-id': '1001' }), byDomain))
    expect(error.statusCode).toBe(400)
  })

  it('answers a path no shop serves with a 404 under the path selector', () => {
    expect(selectShop(eventFor('/de/x'), pathOnly).id).toBe('1002')
    const error = h3Error(() => selectShop(eventFor('/fr/x'), pathOnly))
    expect(error.statusCode).toBe(404)
  })

  it('ignores X-Forwarded-Host unless trustProxy is on', () => {
    const forged = { 'host': 'shop.example', 'x-forwarded-host': 'shop.example.de' }
    expect(selectShop(eventFor('/', forged), byDomain).id).toBe('1001')
    const behindProxy = resolveShops({ shopSelector: 'domain', trustProxy: true, shops: { 1001: { domain: 'shop.example' }, 1002: { domain: 'shop.example.de' } } }, dev)
    expect(selectShop(eventFor('/', forged), behindProxy).id).toBe('1002')
  })

  it('never lets x-shop-id pick a shop of another domain, even through a forged X-Forwarded-Host', () => {
    const forged = { 'host': 'shop.example', 'x-forwarded-host': 'shop.example.de', 'x-shop-id': '1002' }
    expect(h3Error(() => selectShop(eventFor('/', forged), byDomain)).statusCode).toBe(400)
  })
})
