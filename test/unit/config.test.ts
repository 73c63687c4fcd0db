import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEvent } from 'h3'
import type { H3Error } from 'h3'
import { defu } from 'defu'
import { applyEnv } from 'nitropack/runtime/internal/utils.env'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import type { ModuleOptions } from '../../src/runtime/types'
import { defaultOptions, MIN_SECRET_LENGTH, optionEnvName, resolveShops, STORAGE_ENV_PLACEHOLDERS, StorefrontConfigError } from '../../src/runtime/server/session/config'
import lruCacheDriver from 'unstorage/drivers/lru-cache'
import { createSessionDriver, describeFatalRedisError, readRedisNodes } from '../../src/runtime/server/store'
import { selectShop } from '../../src/runtime/server/session/shop'
import { StorefrontHttpError } from '../../src/runtime/server/session/errors'
import { validateOptions } from '../../src/runtime/server/session/validate'

const SECRET = 'a-production-secret-of-32-chars!!'
const OTHER = 'another-production-secret-32-chars'
const dev = { production: false }
/** A driver name as the environment may give it: not one the option's type allows. */
const untyped = (name: string) => name as 'redis'
const prod = { production: true }

function shopOf(options: ModuleOptions, id: string, env = dev) {
  // A production start needs a store chosen; these cases are about other options.
  const shop = resolveShops(env.production && !options.storage ? { ...options, storage: { session: { driver: 'memory' } } } : options, env).byId.get(id)
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
      absoluteMaxAgeMs: 2_592_000_000,
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

    // A list written for NUXT_STOREFRONT_SESSION_SECRET with a typo once signed with the typo's text.
    it('refuses a secret list that is not valid JSON, a blank secret and a list of non-strings, naming the variable', () => {
      const malformed = [
        `["${OTHER}",`,
        `['${OTHER}', '${SECRET}']`,
        `  [${SECRET}]`,
        ' '.repeat(42),
        `["${SECRET}", "   "]`,
        [SECRET, ''],
        `[${JSON.stringify(SECRET)}, 12345678901234567890123456789012345]`,
        // What the environment's parsing makes of digits, `true` and `{…}`.
        Number('12345678901234567890123456789012345'),
        true,
        { secret: SECRET },
      ]
      for (const secret of malformed) {
        const message = configError(() => resolveShops({ session: { secret } as ModuleOptions['session'] }, prod)).message
        expect(message, String(secret)).toContain('NUXT_STOREFRONT_SESSION_SECRET')
        // The value is a secret: never in the message.
        expect(message).not.toContain(SECRET)
        expect(message).not.toContain(OTHER)
        // Development signs with a set secret as well: a malformed one is refused there too.
        configError(() => resolveShops({ session: { secret } as ModuleOptions['session'] }, dev))
      }
      const perShop = configError(() => resolveShops({ session: { secret: SECRET }, shops: { 1001: { path: '/' }, 1002: { path: '/de', session: { secret: `["${OTHER}"` } } } }, prod))
      expect(perShop.message).toContain('NUXT_STOREFRONT_SHOPS_1002_SESSION_SECRET')
      expect(perShop.message).not.toContain('(set NUXT_STOREFRONT_SESSION_SECRET)')
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
      // An engine error: the error handler answers it with problem+json on every route, not only the RPC ones.
      expect(error).toBeInstanceOf(StorefrontHttpError)
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

// The runtime config as src/module.ts builds it: the module defaults (without shops) under the app's options, plus
// the empty storage keys that make NUXT_STOREFRONT_STORAGE_SESSION_* overridable.
function runtimeConfigOf(storefront: ModuleOptions = {}): ModuleOptions {
  const { shops: _shops, ...defaults } = structuredClone(defaultOptions)
  return defu(storefront, defaults, { storage: { session: structuredClone(STORAGE_ENV_PLACEHOLDERS) } }) as ModuleOptions
}

// The runtime config once Nitro applied NUXT_* variables to it, the way a built server reads them at start.
function withEnv(config: ModuleOptions, env: Record<string, string>): ModuleOptions {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
  try {
    return (applyEnv({ storefront: structuredClone(config) }, { prefix: 'NITRO_', altPrefix: 'NUXT_' }) as { storefront: ModuleOptions }).storefront
  }
  finally {
    vi.unstubAllEnvs()
  }
}

/** The problems of a config; each must name the option path and its variable. */
function expectProblem(options: ModuleOptions, path: string, envName: string, env = dev): string {
  const problems = validateOptions(options, env)
  const line = problems.find(problem => problem.includes(` ${path} `))
  expect(line, `a problem for ${path} in ${JSON.stringify(problems)}`).toBeDefined()
  expect(line).toContain(`(set ${envName})`)
  expect(line!.startsWith('[storefront] ')).toBe(true)
  return line!
}

describe('optionEnvName', () => {
  it('names the variable the way Nitro maps runtime config keys', () => {
    expect(optionEnvName(['session', 'maxAge'])).toBe('NUXT_STOREFRONT_SESSION_MAX_AGE')
    expect(optionEnvName(['shops', '1002', 'session', 'secret'])).toBe('NUXT_STOREFRONT_SHOPS_1002_SESSION_SECRET')
    expect(optionEnvName(['storage', 'session', 'driver'])).toBe('NUXT_STOREFRONT_STORAGE_SESSION_DRIVER')
    expect(optionEnvName(['commerce', 'maxQuantityPerLine'])).toBe('NUXT_STOREFRONT_COMMERCE_MAX_QUANTITY_PER_LINE')
    expect(optionEnvName(['shops', 'de-CH', 'storage', 'session', 'driver'])).toBe('NUXT_STOREFRONT_SHOPS_DE_CH_STORAGE_SESSION_DRIVER')
  })

  it('names a variable that Nitro applies to that option', () => {
    const paths = [
      ['session', 'maxAge'], ['rpc', 'allowedOrigins'], ['shopSelector'], ['commerce', 'maxQuantityPerLine'],
      ['shops', '1002', 'session', 'secret'], ['shops', 'de-CH', 'storage', 'session', 'driver'],
      ['shops', 'shopA', 'session', 'maxAge'], ['shops', 'ABTest', 'path'], ['shops', 'a1B2c', 'path'], ['shops', 'x_y-Z9', 'path'],
    ]
    for (const path of paths) {
      const config: Record<string, unknown> = {}
      let node = config
      for (const key of path.slice(0, -1)) node = (node[key] = {}) as Record<string, unknown>
      node[path.at(-1)!] = 'default'
      const applied = withEnv(config as ModuleOptions, { [optionEnvName(path)]: 'from-env' }) as Record<string, unknown>
      expect(path.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], applied), path.join('.')).toBe('from-env')
    }
  })
})

describe('validateOptions', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  describe('valid configs pass', () => {
    it('the defaults, as options and as the module\'s runtime config', () => {
      expect(validateOptions({}, dev)).toEqual([])
      expect(validateOptions(defaultOptions as ModuleOptions, dev)).toEqual([])
      expect(validateOptions(runtimeConfigOf(), dev)).toEqual([])
      expect(validateOptions(runtimeConfigOf({ session: { secret: SECRET }, storage: { session: { driver: 'memory' } } }), prod)).toEqual([])
    })

    it('production needs a store chosen, the embedded memory store included', () => {
      expect(validateOptions(runtimeConfigOf({ session: { secret: SECRET } }), prod)).toEqual([
        expect.stringMatching(/^\[storefront\] storage\.session\.driver is not set: .*'memory'.*\(set NUXT_STOREFRONT_STORAGE_SESSION_DRIVER\)$/),
      ])
      expect(validateOptions(runtimeConfigOf({ session: { secret: SECRET } }), dev)).toEqual([])
      expect(validateOptions(runtimeConfigOf({ session: { secret: SECRET }, storage: { session: { driver: 'redis' } } }), prod)).toEqual([])
    })

    it('the configs of the basic fixture and the playground', async () => {
      vi.stubGlobal('defineNuxtConfig', (config: unknown) => config)
      for (const file of ['../fixtures/basic/nuxt.config', '../../playground/nuxt.config']) {
        const { storefront } = (await import(file)).default as { storefront: ModuleOptions }
        expect(storefront, file).toBeDefined()
        expect(validateOptions(runtimeConfigOf(storefront), dev), file).toEqual([])
        expect(validateOptions(runtimeConfigOf({ storage: { session: { driver: 'memory' } }, ...storefront, session: { secret: SECRET } }), prod), file).toEqual([])
      }
    })

    it('every option set to a valid value', () => {
      const options: ModuleOptions = {
        shops: {
          '1001': { path: '/', session: { secret: [OTHER, SECRET], refreshInterval: 60, secure: true } },
          'de-CH': { domain: 'shop.example.ch', storage: { session: { driver: 'redis', sentinels: '10.0.0.1:26379, 10.0.0.2:26379', name: 'mymaster' } } },
        },
        shopSelector: 'domain',
        defaultShopId: 'de-CH',
        session: { sameSite: 'None' as 'none', maxAge: 3600, absoluteMaxAge: 0, maxDataSize: 1024, secure: null, secret: SECRET },
        storage: { session: { driver: 'redis', cluster: [{ host: '10.0.0.1', port: 7000 }, '10.0.0.2:7000'] } },
        storeTimeout: 1500,
        trustProxy: true,
        maxSessionsPerUser: 0,
        rpc: { bodyLimit: 1, allowedOrigins: ['https://shop.example', 'http://localhost:3000'] },
        commerce: { mergePolicy: 'keep-user', maxQuantityPerLine: 1, maxBasketLines: 1, maxWishlistItems: 1, dataTtl: 1 },
      }
      expect(validateOptions(options, prod)).toEqual([])
      expect(validateOptions({ storage: { session: { driver: 'memory', maxEntries: 10, sweepIntervalMs: 0 } } }, dev)).toEqual([])
      expect(validateOptions({ storage: { session: { driver: 'fs', base: '.data/x' } } }, dev)).toEqual([])
    })

    it('values as the environment gives them', () => {
      const fromEnv = withEnv(runtimeConfigOf(), {
        NUXT_STOREFRONT_STORE_TIMEOUT: '1500',
        NUXT_STOREFRONT_SESSION_MAX_AGE: '3600',
        NUXT_STOREFRONT_TRUST_PROXY: 'true',
        NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
        NUXT_STOREFRONT_STORAGE_SESSION_CLUSTER: '10.0.0.1:7000,10.0.0.2:7000',
        NUXT_STOREFRONT_RPC_ALLOWED_ORIGINS: '["https://shop.example","https://www.shop.example"]',
        NUXT_STOREFRONT_SESSION_SECRET: JSON.stringify([OTHER, SECRET]),
      })
      expect(fromEnv).toMatchObject({ storeTimeout: 1500, trustProxy: true, rpc: { allowedOrigins: ['https://shop.example', 'https://www.shop.example'] } })
      expect(validateOptions(fromEnv, prod)).toEqual([])
      // A single origin that is not a JSON array works, as it did before.
      expect(validateOptions(withEnv(runtimeConfigOf(), { NUXT_STOREFRONT_RPC_ALLOWED_ORIGINS: 'https://shop.example' }), dev)).toEqual([])
    })

    it('a number in a string, as code such as `maxAge: process.env.MAX_AGE` gives it', () => {
      expect(validateOptions({ session: { maxAge: '3600' as unknown as number }, storeTimeout: '1500' as unknown as number }, dev)).toEqual([])
    })
  })

  describe('storage.session.driver', () => {
    it('refuses an unknown driver, naming the option and its variable', () => {
      expect(validateOptions({ storage: { session: { driver: untyped('redsi') } } }, dev)).toEqual([
        `[storefront] storage.session.driver "redsi" is not supported: use 'memory', 'fs', 'redis' or another unstorage built-in driver (e.g. 'lru-cache', 'db0', 'upstash', 'mongodb'; see https://unstorage.unjs.io/drivers), or set a driver instance in the storefront:storage hook (set NUXT_STOREFRONT_STORAGE_SESSION_DRIVER)`,
      ])
      // Empty is not chosen: the embedded store in development, a refused start in production.
      expect(validateOptions({ storage: { session: { driver: untyped('') } } }, dev)).toEqual([])
      expectProblem({ session: { secret: SECRET }, storage: { session: { driver: untyped('') } } }, 'storage.session.driver', 'NUXT_STOREFRONT_STORAGE_SESSION_DRIVER', prod)
      expectProblem({ storage: { session: { driver: untyped('Redis') } } }, 'storage.session.driver', 'NUXT_STOREFRONT_STORAGE_SESSION_DRIVER')
    })

    it('takes any unstorage built-in driver by name, as Nitro does, and a driver instance', () => {
      for (const driver of ['lru-cache', 'lruCache', 'upstash', 'vercel-kv', 'cloudflare-kv-binding', 'mongodb', 'db0', 'fs-lite', 's3']) {
        expect(validateOptions({ storage: { session: { driver } } } as ModuleOptions, dev)).toEqual([])
      }
      expect(validateOptions({ storage: { session: { driver: lruCacheDriver({}) } } }, dev)).toEqual([])
    })

    it('creates a built-in driver by name and takes a driver instance, both for the generic store', async () => {
      const byName = await createSessionDriver({ driver: 'lru-cache', max: 50 }, 2000)
      expect(byName).toMatchObject({ driver: { name: 'lru-cache', options: { max: 50 } }, nativeTtl: false })
      const instance = lruCacheDriver({ max: 5 })
      expect(await createSessionDriver({ driver: instance }, 2000)).toEqual({ driver: instance, nativeTtl: false })
      await expect(createSessionDriver({ driver: untyped('mongo') }, 2000)).rejects.toThrow(/"mongo" is not supported: use 'memory', 'fs', 'redis' or another unstorage built-in driver/)
    })

    it('refuses an unknown driver of one shop', () => {
      const options: ModuleOptions = { shops: { 1001: { path: '/' }, 1002: { path: '/de', storage: { session: { driver: untyped('mongo') } } } } }
      expect(expectProblem(options, 'shops.1002.storage.session.driver', 'NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_DRIVER')).toContain('"mongo"')
    })
  })

  // The module writes: a replica answered each write with READONLY, a reconnect to the same replica, and a 503.
  it('refuses storage.session.role slave, per shop too', () => {
    expect(expectProblem({ storage: { session: { driver: 'redis', sentinels: 'a:26379', name: 'm', role: 'slave' } } }, 'storage.session.role', 'NUXT_STOREFRONT_STORAGE_SESSION_ROLE'))
      .toBe(`[storefront] storage.session.role "slave" is not supported: the module writes to the store, and a replica refuses every write (READONLY); use 'master' or leave it empty (set NUXT_STOREFRONT_STORAGE_SESSION_ROLE)`)
    expectProblem({ shops: { 1002: { storage: { session: { driver: 'redis', role: 'slave' } } } } }, 'shops.1002.storage.session.role', 'NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_ROLE')
    expectProblem({ storage: { session: { role: 'primary' } } }, 'storage.session.role', 'NUXT_STOREFRONT_STORAGE_SESSION_ROLE')
    expect(validateOptions({ storage: { session: { driver: 'redis', sentinels: 'a:26379', name: 'm', role: 'master' } } }, dev)).toEqual([])
    expect(validateOptions({ storage: { session: { role: '' } } }, dev)).toEqual([])
  })

  describe('storage.session.cluster and sentinels', () => {
    const bad: unknown[] = [
      '10.0.0.1:7000,10.0.0.2', '10.0.0.1:7000,,10.0.0.2:7000', '10.0.0.1:7000,', ',', '10.0.0.1:abc', '10.0.0.1:0',
      '10.0.0.1:70000', ':7000', [{ host: '10.0.0.1' }], [{ port: 7000 }], [{ host: '', port: 7000 }], [{ host: 'a', port: 1.5 }],
      [{ host: 'a', port: -1 }], ['10.0.0.1'], [null], [7000], 7000, { host: 'a', port: 1 },
    ]

    it('refuses a malformed cluster list', () => {
      for (const cluster of bad) {
        expectProblem({ storage: { session: { driver: 'redis', cluster } } }, 'storage.session.cluster', 'NUXT_STOREFRONT_STORAGE_SESSION_CLUSTER')
      }
      expectProblem({ shops: { 1001: { storage: { session: { driver: 'redis', cluster: 'a:1,b' } } } } }, 'shops.1001.storage.session.cluster', 'NUXT_STOREFRONT_SHOPS_1001_STORAGE_SESSION_CLUSTER')
    })

    it('refuses a malformed sentinels list, and sentinels without a master name or next to a cluster', () => {
      for (const sentinels of bad) {
        expectProblem({ storage: { session: { driver: 'redis', sentinels, name: 'mymaster' } } }, 'storage.session.sentinels', 'NUXT_STOREFRONT_STORAGE_SESSION_SENTINELS')
      }
      expectProblem({ storage: { session: { driver: 'redis', sentinels: 'a:26379' } } }, 'storage.session.name', 'NUXT_STOREFRONT_STORAGE_SESSION_NAME')
      expectProblem({ storage: { session: { driver: 'redis', sentinels: 'a:26379', cluster: 'b:7000', name: 'm' } } }, 'storage.session.sentinels', 'NUXT_STOREFRONT_STORAGE_SESSION_SENTINELS')
      // The master name may come from the top level.
      expect(validateOptions({ storage: { session: { name: 'm' } }, shops: { 1001: { storage: { session: { driver: 'redis', sentinels: 'a:26379' } } } } }, dev)).toEqual([])
    })

    it('never shows a private key in the problem when tls.key is neither a PEM nor a readable file', () => {
      // A base64 DER EC key pasted without its PEM header: shorter than many paths, so it must not be echoed as one.
      const key = 'MHcCAQEEIBkS0sWb6zq3m9Jx1sJp6Vx1yQK3c1Ae7c2H7Qh1vV2BoAoGCCqGSM49AwEHoUQDQgAEc1E3bq2XwD0sQnU8Nw4h0Y2s1kq3Vx9Jk9b9Pf6cT1w5u8Zl3y2Wq0t4d8sR3nX6m1Kq2y5o7pE9gF2hJ3kL4A=='
      const problems = validateOptions({ storage: { session: { driver: 'redis', url: 'rediss://127.0.0.1:1', tls: { key, cert: '/nowhere/client.crt' } } } }, dev)
      const text = problems.join('\n')
      expect(text).toContain('storage.session.tls.key')
      expect(text).toContain('NUXT_STOREFRONT_STORAGE_SESSION_TLS_KEY')
      expect(text).not.toContain(key.slice(0, 24))
      // A certificate is public: its path is shown, so that the operator sees which file is missing.
      expect(text).toContain('"/nowhere/client.crt"')
    })

    it('says which entry is wrong, without credentials', () => {
      const line = expectProblem({ storage: { session: { cluster: 'a:7000,redis://user:hunter2@b' } } }, 'storage.session.cluster', 'NUXT_STOREFRONT_STORAGE_SESSION_CLUSTER')
      expect(line).toContain('entry 2')
      expect(line).toContain('has no port')
      expect(line).not.toContain('hunter2')
    })

    it('reads both forms with one parser', () => {
      expect(readRedisNodes(' 10.0.0.1:7000 , redis://10.0.0.2:7001,[::1]:7002')).toEqual({
        nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }],
        problems: [],
      })
      expect(readRedisNodes([{ host: 'a', port: 7000 }, 'b:7001', { host: 'c', port: '7002' }]).nodes).toEqual([
        { host: 'a', port: 7000 }, { host: 'b', port: 7001 }, { host: 'c', port: 7002 },
      ])
      for (const none of [undefined, null, '', '  ', []]) expect(readRedisNodes(none)).toEqual({ problems: [] })
    })

    it('gives the driver the nodes of a sentinels or cluster string, and guards a list set later by a hook', async () => {
      // The client connects on first use only: nothing here reaches a server.
      const sentinel = await createSessionDriver({ driver: 'redis', sentinels: '127.0.0.1:26390,127.0.0.2:26391', name: 'mymaster' }, 2000)
      expect(sentinel.driver.options).toMatchObject({ sentinels: [{ host: '127.0.0.1', port: 26390 }, { host: '127.0.0.2', port: 26391 }], name: 'mymaster' })
      const cluster = await createSessionDriver({ driver: 'redis', cluster: '127.0.0.1:7390' }, 2000)
      expect(cluster.driver.options).toMatchObject({ cluster: [{ host: '127.0.0.1', port: 7390 }] })
      await expect(createSessionDriver({ driver: 'redis', cluster: '127.0.0.1' }, 2000)).rejects.toThrow(StorefrontConfigError)
      await expect(createSessionDriver({ driver: untyped('redsi') }, 2000)).rejects.toThrow(/storage\.session\.driver "redsi" is not supported/)
    })
  })

  describe('numbers', () => {
    const NOT_NUMBERS = [Number.NaN, -1, 1.5, 'abc', '', '1.5', null, Infinity, true, [1]]
    const cases: [path: string, envName: string, set: (value: unknown) => ModuleOptions, zeroAllowed: boolean][] = [
      ['session.maxAge', 'NUXT_STOREFRONT_SESSION_MAX_AGE', v => ({ session: { maxAge: v as number } }), false],
      ['session.refreshInterval', 'NUXT_STOREFRONT_SESSION_REFRESH_INTERVAL', v => ({ session: { refreshInterval: v as number } }), true],
      ['session.absoluteMaxAge', 'NUXT_STOREFRONT_SESSION_ABSOLUTE_MAX_AGE', v => ({ session: { absoluteMaxAge: v as number } }), true],
      ['session.maxDataSize', 'NUXT_STOREFRONT_SESSION_MAX_DATA_SIZE', v => ({ session: { maxDataSize: v as number } }), false],
      ['shops.1002.session.maxAge', 'NUXT_STOREFRONT_SHOPS_1002_SESSION_MAX_AGE', v => ({ shops: { 1002: { session: { maxAge: v as number } } } }), false],
      ['storeTimeout', 'NUXT_STOREFRONT_STORE_TIMEOUT', v => ({ storeTimeout: v as number }), false],
      ['maxSessionsPerUser', 'NUXT_STOREFRONT_MAX_SESSIONS_PER_USER', v => ({ maxSessionsPerUser: v as number }), true],
      ['rpc.bodyLimit', 'NUXT_STOREFRONT_RPC_BODY_LIMIT', v => ({ rpc: { bodyLimit: v as number } }), false],
      ['rpc.idempotencyLimit', 'NUXT_STOREFRONT_RPC_IDEMPOTENCY_LIMIT', v => ({ rpc: { idempotencyLimit: v as number } }), false],
      ['commerce.maxQuantityPerLine', 'NUXT_STOREFRONT_COMMERCE_MAX_QUANTITY_PER_LINE', v => ({ commerce: { maxQuantityPerLine: v as number } }), false],
      ['commerce.maxBasketLines', 'NUXT_STOREFRONT_COMMERCE_MAX_BASKET_LINES', v => ({ commerce: { maxBasketLines: v as number } }), false],
      ['commerce.maxWishlistItems', 'NUXT_STOREFRONT_COMMERCE_MAX_WISHLIST_ITEMS', v => ({ commerce: { maxWishlistItems: v as number } }), false],
      ['commerce.dataTtl', 'NUXT_STOREFRONT_COMMERCE_DATA_TTL', v => ({ commerce: { dataTtl: v as number } }), false],
      ['storage.session.maxEntries', 'NUXT_STOREFRONT_STORAGE_SESSION_MAX_ENTRIES', v => ({ storage: { session: { maxEntries: v } } }), false],
      ['storage.session.sweepIntervalMs', 'NUXT_STOREFRONT_STORAGE_SESSION_SWEEP_INTERVAL_MS', v => ({ storage: { session: { sweepIntervalMs: v } } }), true],
    ]

    it.each(cases)('refuses a bad %s', (path, envName, set, zeroAllowed) => {
      // An empty per-shop key (null or '') is one the module declared for env overrides and nothing set: it inherits.
      for (const value of NOT_NUMBERS.filter(value => (value !== null && value !== '') || !path.startsWith('shops.'))) {
        expect(expectProblem(set(value), path, envName)).toContain(value === '' ? '""' : String(JSON.stringify(value)))
      }
      if (zeroAllowed) expect(validateOptions(set(0), dev)).toEqual([])
      else expectProblem(set(0), path, envName)
      expect(validateOptions(set(7), dev)).toEqual([])
    })

    it('refuses a bad number from the environment, e.g. NUXT_STOREFRONT_STORE_TIMEOUT=abc', () => {
      const line = expectProblem(withEnv(runtimeConfigOf(), { NUXT_STOREFRONT_STORE_TIMEOUT: 'abc' }), 'storeTimeout', 'NUXT_STOREFRONT_STORE_TIMEOUT')
      expect(line).toBe('[storefront] storeTimeout "abc" is invalid: use a whole number of milliseconds, from 1 to 2147483647 (set NUXT_STOREFRONT_STORE_TIMEOUT)')
    })

    it('refuses a timer longer than Node.js can wait', () => {
      expectProblem({ storeTimeout: 2 ** 31 }, 'storeTimeout', 'NUXT_STOREFRONT_STORE_TIMEOUT')
      expectProblem({ storage: { session: { sweepIntervalMs: 2 ** 31 } } }, 'storage.session.sweepIntervalMs', 'NUXT_STOREFRONT_STORAGE_SESSION_SWEEP_INTERVAL_MS')
    })

    it('says what 0 means where it turns something off', () => {
      expect(expectProblem({ session: { refreshInterval: -1 } }, 'session.refreshInterval', 'NUXT_STOREFRONT_SESSION_REFRESH_INTERVAL')).toContain('0 means a quarter of maxAge')
      expect(expectProblem({ maxSessionsPerUser: 1.5 }, 'maxSessionsPerUser', 'NUXT_STOREFRONT_MAX_SESSIONS_PER_USER')).toContain('0 means no limit')
    })
  })

  describe('choices and switches', () => {
    it('refuses an unknown shopSelector, sameSite and mergePolicy', () => {
      expectProblem({ shopSelector: 'cookie' as 'path' }, 'shopSelector', 'NUXT_STOREFRONT_SHOP_SELECTOR')
      expectProblem({ session: { sameSite: 'sometimes' as 'lax' } }, 'session.sameSite', 'NUXT_STOREFRONT_SESSION_SAME_SITE')
      expectProblem({ shops: { 1002: { session: { sameSite: 'loose' as 'lax' } } } }, 'shops.1002.session.sameSite', 'NUXT_STOREFRONT_SHOPS_1002_SESSION_SAME_SITE')
      expect(expectProblem({ commerce: { mergePolicy: 'maxx' as 'max' } }, 'commerce.mergePolicy', 'NUXT_STOREFRONT_COMMERCE_MERGE_POLICY'))
        .toBe(`[storefront] commerce.mergePolicy "maxx" is not supported: use 'sum', 'max' or 'keep-user' (set NUXT_STOREFRONT_COMMERCE_MERGE_POLICY)`)
      // sameSite was always read without regard to case.
      expect(validateOptions({ session: { sameSite: 'Strict' as 'strict' } }, dev)).toEqual([])
    })

    it('refuses a defaultShopId that is not a shop', () => {
      expect(expectProblem({ defaultShopId: '9999' }, 'defaultShopId', 'NUXT_STOREFRONT_DEFAULT_SHOP_ID')).toContain('use one of 1001')
    })

    it('refuses a switch that is not true or false, which would have read as on', () => {
      expectProblem(withEnv(runtimeConfigOf(), { NUXT_STOREFRONT_TRUST_PROXY: 'flase' }), 'trustProxy', 'NUXT_STOREFRONT_TRUST_PROXY')
      expectProblem({ session: { secure: 'no' as unknown as boolean } }, 'session.secure', 'NUXT_STOREFRONT_SESSION_SECURE')
      expect(validateOptions({ session: { secure: '' as unknown as boolean } }, dev)).toEqual([])
    })

    // Both went into Set-Cookie as they were: 'bad name;x' gave `set-cookie: bad name;x=s%3A…`, and a domain with a
    // ';' added an attribute of its own (a scheme or port made browsers drop the cookie).
    it('refuses a cookie name that is not a token and a domain that is not a host name, per shop too', () => {
      for (const cookieName of ['bad name;x', 'sid=x', 'a,b', '"sid"', 'sid\n', '', 'caf\u00E9']) {
        expect(expectProblem({ session: { cookieName } }, 'session.cookieName', 'NUXT_STOREFRONT_SESSION_COOKIE_NAME')).toContain('is invalid: use a cookie name')
      }
      expectProblem({ shops: { 1002: { session: { cookieName: 'de sid' } } } }, 'shops.1002.session.cookieName', 'NUXT_STOREFRONT_SHOPS_1002_SESSION_COOKIE_NAME')
      expectProblem(withEnv(runtimeConfigOf(), { NUXT_STOREFRONT_SESSION_COOKIE_NAME: 'bad name;x' }), 'session.cookieName', 'NUXT_STOREFRONT_SESSION_COOKIE_NAME')
      for (const domain of ['bad domain;x', 'https://shop.example', 'shop.example:3000', 'shop.example/de', '-shop.example', 'shop..example', '..shop.example', 'x'.repeat(64) + '.example']) {
        expect(expectProblem({ session: { domain } }, 'session.domain', 'NUXT_STOREFRONT_SESSION_DOMAIN')).toContain('is invalid: use a host name')
      }
      expectProblem({ shops: { 1002: { session: { domain: 'bad domain;x' } } } }, 'shops.1002.session.domain', 'NUXT_STOREFRONT_SHOPS_1002_SESSION_DOMAIN')
      for (const cookieName of ['$session-{shopId}', '__Host-sid', 'sid.{shopId}', 'a!#$%&\'*+-.^_`|~z']) {
        expect(validateOptions({ session: { cookieName } }, dev), cookieName).toEqual([])
      }
      for (const domain of ['shop.example', '.shop.example', 'Shop.Example.DE', 'localhost', 'xn--bcher-kva.example', '127.0.0.1']) {
        expect(validateOptions({ session: { domain } }, dev), domain).toEqual([])
      }
    })

    it('refuses a cookie prefix that is not one the browser knows', () => {
      expectProblem({ session: { cookiePrefix: '__Host' as '__Host-' } }, 'session.cookiePrefix', 'NUXT_STOREFRONT_SESSION_COOKIE_PREFIX')
      expectProblem({ shops: { 1002: { session: { cookiePrefix: 'x;' as '__Host-' } } } }, 'shops.1002.session.cookiePrefix', 'NUXT_STOREFRONT_SHOPS_1002_SESSION_COOKIE_PREFIX')
    })

    it('refuses an option group that is not an object', () => {
      expectProblem({ commerce: 'sum' as unknown as ModuleOptions['commerce'] }, 'commerce', 'NUXT_STOREFRONT_COMMERCE')
      expectProblem({ shops: { 1001: 'yes' as unknown as object } }, 'shops.1001', 'NUXT_STOREFRONT_SHOPS_1001')
    })
  })

  describe('rpc.allowedOrigins', () => {
    it('refuses entries that are not origins', () => {
      const bad: unknown[] = [
        'https://a.example,https://b.example', ['https://shop.example/'], ['https://shop.example/checkout'], ['shop.example'],
        ['https://Shop.example'], ['https://shop.example:443'], ['null'], ['*'], [42], ['ftp://shop.example'], '["https://shop.example"',
      ]
      for (const allowedOrigins of bad) {
        expectProblem({ rpc: { allowedOrigins: allowedOrigins as string[] } }, 'rpc.allowedOrigins', 'NUXT_STOREFRONT_RPC_ALLOWED_ORIGINS')
      }
      expectProblem(withEnv(runtimeConfigOf(), { NUXT_STOREFRONT_RPC_ALLOWED_ORIGINS: 'https://a.example, https://b.example' }), 'rpc.allowedOrigins', 'NUXT_STOREFRONT_RPC_ALLOWED_ORIGINS')
    })

    it('accepts a list of origins, one origin, and an empty list', () => {
      for (const allowedOrigins of [[], ['https://shop.example', 'http://127.0.0.1:3000', ''], 'https://shop.example']) {
        expect(validateOptions({ rpc: { allowedOrigins: allowedOrigins as string[] } }, dev)).toEqual([])
      }
    })
  })

  describe('secrets', () => {
    it('names the option and its variable, never the secret', () => {
      expect(expectProblem({}, 'session.secret', 'NUXT_STOREFRONT_SESSION_SECRET', prod)).toContain('is missing')
      const line = expectProblem({ session: { secret: 'too-short' } }, 'session.secret', 'NUXT_STOREFRONT_SESSION_SECRET', prod)
      expect(line).toContain('shorter than 32 characters')
      expect(line).not.toContain('too-short')
      const shops = { 1001: { path: '/' }, 1002: { path: '/de', session: { secret: 'short' } } }
      expectProblem({ shops, session: { secret: SECRET } }, 'shops.1002.session.secret', 'NUXT_STOREFRONT_SHOPS_1002_SESSION_SECRET', prod)
      expect(expectProblem({ shops }, 'session.secret', 'NUXT_STOREFRONT_SESSION_SECRET', prod)).toContain('used by shop 1001')
      // A top-level secret no shop uses is not checked, as before.
      expect(validateOptions({ shops: { 1001: { session: { secret: SECRET } } }, session: { secret: 'short' }, storage: { session: { driver: 'memory' } } }, prod)).toEqual([])
      expect(validateOptions({}, dev)).toEqual([])
    })
  })

  it('reports every problem in one error, one line each, from resolveShops', () => {
    const options = withEnv(runtimeConfigOf(), {
      NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redsi',
      NUXT_STOREFRONT_STORE_TIMEOUT: 'abc',
      NUXT_STOREFRONT_COMMERCE_MERGE_POLICY: 'maxx',
    })
    const lines = configError(() => resolveShops(options, prod)).message.split('\n')
    expect(lines).toHaveLength(4)
    for (const envName of ['NUXT_STOREFRONT_STORAGE_SESSION_DRIVER', 'NUXT_STOREFRONT_STORE_TIMEOUT', 'NUXT_STOREFRONT_COMMERCE_MERGE_POLICY', 'NUXT_STOREFRONT_SESSION_SECRET']) {
      expect(lines.filter(line => line.startsWith('[storefront] ') && line.endsWith(`(set ${envName})`)), envName).toHaveLength(1)
    }
  })
})

describe('production Redis options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'storefront-pem-'))
  const caFile = join(dir, 'ca.pem')
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
  writeFileSync(caFile, PEM)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads Sentinel, TLS, credentials and durable writes from the environment of a built server', () => {
    const fromEnv = withEnv(runtimeConfigOf(), {
      NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis',
      NUXT_STOREFRONT_STORAGE_SESSION_SENTINELS: '10.0.0.1:26379,10.0.0.2:26379',
      NUXT_STOREFRONT_STORAGE_SESSION_NAME: 'mymaster',
      NUXT_STOREFRONT_STORAGE_SESSION_SENTINEL_PASSWORD: 'sentinel-secret',
      NUXT_STOREFRONT_STORAGE_SESSION_ROLE: 'master',
      NUXT_STOREFRONT_STORAGE_SESSION_USERNAME: 'storefront',
      NUXT_STOREFRONT_STORAGE_SESSION_PASSWORD: 'redis-secret',
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_CA: caFile,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_SERVERNAME: 'redis.internal',
      NUXT_STOREFRONT_STORAGE_SESSION_WAIT_FOR_REPLICAS: '1',
    })
    expect(fromEnv.storage!.session).toMatchObject({
      sentinels: '10.0.0.1:26379,10.0.0.2:26379', name: 'mymaster', sentinelPassword: 'sentinel-secret', role: 'master',
      username: 'storefront', password: 'redis-secret', tls: { ca: caFile, servername: 'redis.internal' }, waitForReplicas: 1,
    })
    expect(validateOptions(fromEnv, dev)).toEqual([])
  })

  it('refuses an unreadable CA, an unknown role, a negative replica count, and durable writes on a cluster', () => {
    expectProblem({ storage: { session: { driver: 'redis', tls: { ca: join(dir, 'missing.pem') } } } }, 'storage.session.tls.ca', 'NUXT_STOREFRONT_STORAGE_SESSION_TLS_CA')
    expectProblem({ storage: { session: { driver: 'redis', role: 'primary' } } }, 'storage.session.role', 'NUXT_STOREFRONT_STORAGE_SESSION_ROLE')
    expectProblem({ storage: { session: { driver: 'redis', waitForReplicas: -1 } } }, 'storage.session.waitForReplicas', 'NUXT_STOREFRONT_STORAGE_SESSION_WAIT_FOR_REPLICAS')
    expectProblem({ storage: { session: { driver: 'redis', cluster: 'a:7000', waitForReplicas: 1 } } }, 'storage.session.waitForReplicas', 'NUXT_STOREFRONT_STORAGE_SESSION_WAIT_FOR_REPLICAS')
  })

  it('gives ioredis reconnect-on-READONLY, the failover detector for Sentinel and TLS from PEMs or files; the user\'s values win', async () => {
    const options = async (storage: Record<string, unknown>) => (await createSessionDriver({ driver: 'redis', ...storage }, 2000)).driver.options as Record<string, unknown>
    const plain = await options({ url: 'redis://127.0.0.1:1' })
    expect(typeof plain.reconnectOnError).toBe('function')
    expect((plain.reconnectOnError as (error: Error) => boolean)(new Error('READONLY You can\'t write against a read only replica.'))).toBe(true)
    expect((plain.reconnectOnError as (error: Error) => boolean)(new Error('ERR other'))).toBe(false)
    expect(plain.tls).toBeUndefined()
    const sentinel = await options({ sentinels: 'a:26379', name: 'mymaster', tls: { ca: caFile, cert: PEM.replaceAll('\n', '\\n'), key: '', servername: 'redis.internal' } })
    expect(sentinel).toMatchObject({ failoverDetector: true, enableTLSForSentinelMode: true, sentinels: [{ host: 'a', port: 26379 }], tls: { ca: PEM, cert: PEM, servername: 'redis.internal' } })
    expect(await options({ sentinels: 'a:26379', name: 'm' })).not.toHaveProperty('enableTLSForSentinelMode')
    expect(await options({ url: 'rediss://127.0.0.1:1' })).toMatchObject({ tls: {} })
    const own = () => false
    expect(await options({ sentinels: 'a:26379', name: 'm', failoverDetector: false, reconnectOnError: own })).toMatchObject({ failoverDetector: false, reconnectOnError: own })
    const cluster = await options({ cluster: 'a:7000' })
    expect((cluster.clusterOptions as { redisOptions: Record<string, unknown> }).redisOptions.reconnectOnError).toBeTypeOf('function')
    // Redis-only placeholders do not reach the other drivers.
    expect((await createSessionDriver({ driver: 'fs', base: dir, tls: { ca: '' }, waitForReplicas: 0 }, 2000)).driver.options).not.toHaveProperty('tls')
  })

  it('tells fatal connection errors from passing ones, with what to fix', () => {
    expect(describeFatalRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toMatchObject({ kind: 'auth', hint: expect.stringContaining('NUXT_STOREFRONT_STORAGE_SESSION_URL') })
    expect(describeFatalRedisError(new Error('NOAUTH Authentication required.'))?.kind).toBe('auth')
    expect(describeFatalRedisError(new Error('NOPERM User storefront has no permissions to run the \'flushall\' command'))?.kind).toBe('acl')
    // Redis 7.0's reply when a script calls a command the ACL user lacks.
    expect(describeFatalRedisError(new Error('ERR The user executing the script can\'t run this command or subcommand script: 8d2f…, on @user_script:3.'))?.kind).toBe('acl')
    expect(describeFatalRedisError(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))?.kind).toBe('tls')
    expect(describeFatalRedisError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBeUndefined()
    expect(describeFatalRedisError(new Error('no reply from Redis for 2000 ms'))).toBeUndefined()
  })
})

describe('cookie prefix, per-shop placeholders and guest-portable keys', () => {
  it('prefixes the cookie name with __Host-, forces Secure and drops the Domain', () => {
    const shop = resolveShops({ session: { secret: SECRET, cookiePrefix: '__Host-', secure: null } }, dev).byId.get('1001')!
    expect(shop.cookieName).toBe('__Host-$session-1001')
    expect(shop.secure).toBe(true)
    expect(shop.domainAttribute).toBeUndefined()
    expect(resolveShops({ session: { secret: SECRET, cookieName: '__Secure-sid-{shopId}' } }, dev).byId.get('1001')!).toMatchObject({ cookieName: '__Secure-sid-1001', secure: true })
  })

  it('refuses __Host- with a domain or secure false, and an unknown prefix, naming the option set', () => {
    expect(validateOptions({ session: { cookiePrefix: '__Host-', domain: 'example.com' } }, dev)).toEqual([
      expect.stringContaining('session.domain "example.com" cannot be combined with the __Host- cookie prefix of shop 1001'),
    ])
    const perShop = validateOptions({ shops: { 1001: { path: '/', session: { secure: false } } }, session: { cookiePrefix: '__Host-' } }, dev)
    expect(perShop).toEqual(['[storefront] shops.1001.session.secure false cannot be combined with the __Host- cookie prefix of shop 1001: browsers drop a __Host- cookie that is not Secure (set NUXT_STOREFRONT_SHOPS_1001_SESSION_SECURE)'])
    expect(validateOptions({ session: { cookiePrefix: '__Hots-' as '__Host-' } }, dev)[0]).toContain('(set NUXT_STOREFRONT_SESSION_COOKIE_PREFIX)')
    expect(validateOptions({ session: { cookiePrefix: '__Secure-', domain: 'example.com' } }, dev)).toEqual([])
  })

  it('lets empty per-shop keys (declared for env overrides) inherit the top-level settings and the shared store', () => {
    const empty = { cookieName: '', sameSite: '', maxAge: '', secret: '', domain: '', secure: '', maxDataSize: '', guestPortableKeys: '' }
    const options = { session: { secret: SECRET, domain: 'shop.example' }, storage: { session: { driver: 'memory' } }, shops: { 1001: { path: '/', session: empty, storage: { session: { driver: '', url: '' } } } } } as unknown as ModuleOptions
    expect(validateOptions(options, prod)).toEqual([])
    const shop = resolveShops(options, prod).byId.get('1001')!
    expect(shop).toMatchObject({ cookieName: '$session-1001', sameSite: 'lax', maxAgeMs: 86_400_000, secrets: [SECRET], domainAttribute: 'shop.example', storageId: 'default' })
  })

  it('turns guestPortableKeys into data fields, a shop\'s own list replacing the top-level one', () => {
    const shops = resolveShops({ session: { secret: SECRET, guestPortableKeys: ['a'] }, shops: { 1001: { path: '/' }, 1002: { path: '/de', session: { guestPortableKeys: ['b'] } } } }, dev)
    expect([...shops.byId.get('1001')!.guestPortableFields]).toEqual(['d:a'])
    expect([...shops.byId.get('1002')!.guestPortableFields]).toEqual(['d:b'])
    expect(validateOptions({ session: { guestPortableKeys: 'a' as unknown as string[] } }, dev)[0]).toContain('(set NUXT_STOREFRONT_SESSION_GUEST_PORTABLE_KEYS)')
  })

  it('reads session.transports as a list or a comma-separated text, a shop\'s own replacing the top-level one', () => {
    const shops = resolveShops({ session: { secret: SECRET, transports: 'cookie, Bearer' }, shops: { 1001: { path: '/' }, 1002: { path: '/de', session: { transports: ['bearer'] } }, 1003: { path: '/fr', session: { transports: '["cookie"]' } } } }, dev)
    expect(shops.byId.get('1001')).toMatchObject({ cookie: true, bearer: true })
    expect(shops.byId.get('1002')).toMatchObject({ cookie: false, bearer: true })
    expect(shops.byId.get('1003')).toMatchObject({ cookie: true, bearer: false })
    expect(resolveShops({}, dev).byId.get('1001')).toMatchObject({ cookie: true, bearer: false })
    expect(resolveShops({ session: { transports: '' } }, dev).byId.get('1001')).toMatchObject({ cookie: true, bearer: false })
    expect(validateOptions({ session: { transports: 'cookie,jwt' } }, dev)).toEqual([
      '[storefront] session.transports "cookie,jwt" is invalid: use \'cookie\', \'bearer\' or both, e.g. cookie,bearer (set NUXT_STOREFRONT_SESSION_TRANSPORTS)',
    ])
    expect(validateOptions({ shops: { 1001: { session: { transports: [] } } } }, dev)[0]).toContain('(set NUXT_STOREFRONT_SHOPS_1001_SESSION_TRANSPORTS)')
  })
})
