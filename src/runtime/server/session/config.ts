import { randomBytes } from 'node:crypto'
import { defu } from 'defu'
import type { ModuleOptions, StorefrontSameSite, StorefrontShopSelector, StorefrontStorageOptions } from '../../types'
import { defaultOptions, effectiveCookiePrefix, parseSecrets, parseTransports, shopOptionsSet } from './options'
import { assertValidOptions } from './validate'
import { defaultShopIdOf, normaliseShopPath, shopsByPath } from '../../shared/shop'

export { defaultOptions, MIN_SECRET_LENGTH, optionEnvName, parseSecrets, STORAGE_ENV_PLACEHOLDERS, StorefrontConfigError } from './options'

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
  /** Data field names (`d:<key>`) a guest session carries into a login; `'*'` in it carries every one. */
  guestPortableFields: ReadonlySet<string>
  /** Whether the session cookie is read and set (`session.transports` lists `'cookie'`). */
  cookie: boolean
  /** Whether `Authorization: Bearer` carries the session (`session.transports` lists `'bearer'`). */
  bearer: boolean
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

/**
 * Checks every option, then merges them into one resolved config per shop.
 * @param options the runtime config (`useRuntimeConfig().storefront`) or module options
 * @param env where the server runs
 * @param env.production refuses missing or short secrets; otherwise a random secret is made for the process
 * @returns the shops
 * @throws StorefrontConfigError listing every invalid option, each with the variable that sets it
 */
export function resolveShops(options: ModuleOptions, env: { production: boolean }): ResolvedShops {
  assertValidOptions(options, env)
  // Shops are replaced, not merged: configuring shops of your own drops the default shop.
  const { shops, ...rest } = options
  const merged = defu(rest, defaultOptions) as Required<ModuleOptions>
  const shopEntries = Object.entries(shops && Object.keys(shops).length > 0 ? shops : defaultOptions.shops)
  let devSecret: string | undefined
  const byId = new Map<string, ResolvedShop>()
  for (const [id, declared] of shopEntries) {
    // Keys the module declared for env overrides and nothing set are empty: they inherit the top-level value.
    const shop = shopOptionsSet(declared) ?? {}
    const session = defu(shop.session, merged.session) as Required<ModuleOptions>['session'] & Record<string, unknown>
    const storage = defu(shop.storage?.session, merged.storage.session) as StorefrontStorageOptions
    // defu concatenates arrays: a shop's own secret list must replace the top-level one, not extend it.
    let secrets = parseSecrets(shop.session?.secret || merged.session.secret)
    if (secrets.length === 0) {
      devSecret ??= randomBytes(32).toString('base64url')
      secrets = [devSecret]
    }
    const maxAgeMs = Number(session.maxAge) * 1000
    const sameSite = String(session.sameSite).toLowerCase() as StorefrontSameSite
    // Unset (null, or '' once it has been through runtime config) means: on in production.
    const secure = session.secure === null || session.secure === undefined || (session.secure as unknown) === '' ? env.production : Boolean(session.secure)
    // A prefixed cookie is dropped by browsers unless it is Secure (and, for __Host-, has no Domain: checked at start).
    const prefix = effectiveCookiePrefix(session.cookiePrefix, session.cookieName)
    const cookieName = String(session.cookieName).replaceAll('{shopId}', id)
    // As with secrets, a shop's own list replaces the top-level one (defu would concatenate them).
    const portable = shop.session?.guestPortableKeys ?? merged.session.guestPortableKeys ?? []
    const transports = parseTransports(shop.session?.transports || merged.session.transports || defaultOptions.session.transports)
    byId.set(id, {
      id,
      domain: shop.domain || undefined,
      path: normaliseShopPath(shop.path) || undefined,
      cookieName: cookieName.startsWith(prefix) ? cookieName : prefix + cookieName,
      sameSite,
      // Browsers drop SameSite=None cookies that are not Secure.
      secure: sameSite === 'none' || prefix !== '' ? true : secure,
      domainAttribute: prefix === '__Host-' ? undefined : session.domain || undefined,
      maxAgeMs,
      refreshIntervalMs: Number(session.refreshInterval) > 0 ? Number(session.refreshInterval) * 1000 : Math.floor(maxAgeMs / 4),
      absoluteMaxAgeMs: Number(session.absoluteMaxAge) * 1000,
      secrets,
      maxDataSize: Number(session.maxDataSize),
      guestPortableFields: new Set([portable].flat().map(key => String(key) === '*' ? '*' : `d:${key}`)),
      cookie: transports.includes('cookie'),
      bearer: transports.includes('bearer'),
      maxSessionsPerUser: Number(merged.maxSessionsPerUser),
      storeTimeoutMs: Number(merged.storeTimeout),
      storage,
      storageId: shop.storage?.session ? `shop:${id}` : 'default',
    })
  }
  // Without defaultShopId: the shop at '/', else the first shop (integer-like ids come first, in ascending order).
  const defaultShopId = defaultShopIdOf(byId, merged.defaultShopId)
  const byPath = shopsByPath(byId.values())
  return { byId, byPath, selector: merged.shopSelector, defaultShopId, trustProxy: Boolean(merged.trustProxy) }
}
