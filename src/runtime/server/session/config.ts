import { randomBytes } from 'node:crypto'
import { defu } from 'defu'
import type { ModuleOptions, StorefrontSameSite, StorefrontShopSelector, StorefrontStorageOptions } from '../../types'

/** The settings of one shop after merging, as the engine uses them. */
export interface ResolvedShop {
  id: string
  domain?: string
  /** Normalised path prefix: '/' or '/de'. */
  path?: string
  cookieName: string
  sameSite: StorefrontSameSite
  secure: boolean
  domainAttribute?: string
  maxAgeMs: number
  refreshIntervalMs: number
  absoluteMaxAgeMs: number
  /** Verification secrets; the last one signs. */
  secrets: string[]
  maxDataSize: number
  /** Most sessions one user may have; a login past it ends the least recently active one. 0: no limit. */
  maxSessionsPerUser: number
  storeTimeoutMs: number
  storage: StorefrontStorageOptions
  /** Identifies the store this shop uses: shops with equal storage settings share one store. */
  storageId: string
}

/** Every shop, and how to pick one. */
export interface ResolvedShops {
  byId: Map<string, ResolvedShop>
  /** The shops that have a path, longest path first: the first whose path matches a request wins. */
  byPath: ResolvedShop[]
  selector: StorefrontShopSelector
  defaultShopId: string
  trustProxy: boolean
}

const SHOP_ID = /^[\w-]{1,32}$/
/** Shortest secret accepted in production. */
export const MIN_SECRET_LENGTH = 32

/** The defaults of every option, in one place. */
export const defaultOptions = {
  shops: { 1001: { path: '/' } },
  shopSelector: 'path_or_default',
  defaultShopId: '',
  session: {
    cookieName: '$session-{shopId}',
    sameSite: 'lax',
    maxAge: 86400,
    refreshInterval: 0,
    absoluteMaxAge: 0,
    domain: '',
    secure: null,
    secret: '',
    maxDataSize: 65536,
  },
  storage: { session: { driver: 'memory' } },
  storeTimeout: 2000,
  trustProxy: false,
  maxSessionsPerUser: 0,
  rpc: { dir: 'rpc', bodyLimit: 102400, overrides: [] as string[], allowedOrigins: [] as string[] },
  commerce: { mergePolicy: 'sum', maxQuantityPerLine: 99, maxBasketLines: 100, maxWishlistItems: 200, dataTtl: 2592000 },
} satisfies Required<ModuleOptions>

/** Raised for a configuration that cannot run; the message says what to set. */
export class StorefrontConfigError extends Error {
  override name = 'StorefrontConfigError'
}

/**
 * Turns the `secret` option (string, array, or a JSON array in a string from the environment) into a list.
 * @param value the option
 * @returns the secrets, signing one last
 */
export function parseSecrets(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.map(String).filter(Boolean)
  }
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      return parseSecrets(JSON.parse(value))
    }
    catch {
      return [value]
    }
  }
  return value === undefined || value === null || value === '' ? [] : [String(value)]
}

/**
 * Merges the options into one resolved config per shop, checking ids and secrets.
 * @param options the runtime config (`useRuntimeConfig().storefront`) or module options
 * @param env `production` refuses missing or short secrets; otherwise a random secret is made for the process
 * @returns the shops
 */
export function resolveShops(options: ModuleOptions, env: { production: boolean }): ResolvedShops {
  // Shops are replaced, not merged: configuring shops of your own drops the default shop.
  const { shops, ...rest } = options
  const merged = defu(rest, defaultOptions) as Required<ModuleOptions>
  const shopEntries = Object.entries(shops && Object.keys(shops).length > 0 ? shops : defaultOptions.shops)
  if (shopEntries.length === 0) {
    throw new StorefrontConfigError('[storefront] no shops are configured: set `storefront.shops`, e.g. { 1001: { path: \'/\' } }')
  }
  let devSecret: string | undefined
  const byId = new Map<string, ResolvedShop>()
  for (const [id, shop] of shopEntries) {
    if (!SHOP_ID.test(id)) {
      throw new StorefrontConfigError(`[storefront] shop id ${JSON.stringify(id)} is invalid: use 1 to 32 characters from A-Z a-z 0-9 _ -`)
    }
    const session = defu(shop.session, merged.session) as Required<ModuleOptions>['session'] & Record<string, unknown>
    const storage = defu(shop.storage?.session, merged.storage.session) as StorefrontStorageOptions
    // defu concatenates arrays: a shop's own secret list must replace the top-level one, not extend it.
    let secrets = parseSecrets(shop.session?.secret || merged.session.secret)
    const envName = shop.session?.secret ? `NUXT_STOREFRONT_SHOPS_${id.toUpperCase()}_SESSION_SECRET` : 'NUXT_STOREFRONT_SESSION_SECRET'
    if (env.production) {
      if (secrets.length === 0) {
        throw new StorefrontConfigError(`[storefront] no session secret for shop ${id}: set NUXT_STOREFRONT_SESSION_SECRET to a random string of at least ${MIN_SECRET_LENGTH} characters`)
      }
      if (secrets.some(secret => secret.length < MIN_SECRET_LENGTH)) {
        throw new StorefrontConfigError(`[storefront] the session secret of shop ${id} is shorter than ${MIN_SECRET_LENGTH} characters: set ${envName} to a longer random string`)
      }
    }
    else if (secrets.length === 0) {
      devSecret ??= randomBytes(32).toString('base64url')
      secrets = [devSecret]
    }
    const maxAgeMs = positive(session.maxAge, 'session.maxAge') * 1000
    const sameSite = String(session.sameSite).toLowerCase() as StorefrontSameSite
    if (!['lax', 'strict', 'none'].includes(sameSite)) {
      throw new StorefrontConfigError(`[storefront] session.sameSite ${JSON.stringify(session.sameSite)} is invalid: use 'lax', 'strict' or 'none'`)
    }
    // Unset (null, or '' once it has been through runtime config) means: on in production.
    const secure = session.secure === null || session.secure === undefined || (session.secure as unknown) === '' ? env.production : Boolean(session.secure)
    byId.set(id, {
      id,
      domain: shop.domain || undefined,
      path: shop.path ? normalisePath(shop.path) : undefined,
      cookieName: String(session.cookieName).replaceAll('{shopId}', id),
      sameSite,
      // Browsers drop SameSite=None cookies that are not Secure.
      secure: sameSite === 'none' ? true : secure,
      domainAttribute: session.domain || undefined,
      maxAgeMs,
      refreshIntervalMs: Number(session.refreshInterval) > 0 ? Number(session.refreshInterval) * 1000 : Math.floor(maxAgeMs / 4),
      absoluteMaxAgeMs: Number(session.absoluteMaxAge) > 0 ? Number(session.absoluteMaxAge) * 1000 : 0,
      secrets,
      maxDataSize: positive(session.maxDataSize, 'session.maxDataSize'),
      maxSessionsPerUser: Math.max(0, Math.floor(Number(merged.maxSessionsPerUser) || 0)),
      storeTimeoutMs: positive(merged.storeTimeout, 'storeTimeout'),
      storage,
      storageId: shop.storage?.session ? `shop:${id}` : 'default',
    })
  }
  // Without defaultShopId: the shop at '/', else the first shop (integer-like ids come first, in ascending order).
  const defaultShopId = merged.defaultShopId ? String(merged.defaultShopId) : ([...byId.values()].find(shop => shop.path === '/') ?? [...byId.values()][0]!).id
  if (!byId.has(defaultShopId)) {
    throw new StorefrontConfigError(`[storefront] defaultShopId ${JSON.stringify(defaultShopId)} is not a configured shop`)
  }
  const selector = merged.shopSelector
  if (!['domain', 'path', 'path_or_default'].includes(selector)) {
    throw new StorefrontConfigError(`[storefront] shopSelector ${JSON.stringify(selector)} is invalid: use 'domain', 'path' or 'path_or_default'`)
  }
  const byPath = [...byId.values()].filter(shop => shop.path).sort((a, b) => b.path!.length - a.path!.length)
  return { byId, byPath, selector, defaultShopId, trustProxy: Boolean(merged.trustProxy) }
}

function positive(value: unknown, name: string): number {
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) {
    throw new StorefrontConfigError(`[storefront] ${name} must be a positive number, got ${JSON.stringify(value)}`)
  }
  return number
}

function normalisePath(path: string): string {
  const trimmed = `/${path}`.replace(/\/+/g, '/').replace(/\/$/, '')
  return trimmed || '/'
}
