// How a request or a page finds its shop: the one rule for the server, the browser, the route middleware and the
// module's build-time steps. Nothing here reads Nuxt, h3 or Node.

/** How a shop is chosen: by host name, by path prefix (404 without a match), or by path prefix else the default. */
export type ShopSelector = 'domain' | 'path' | 'path_or_default'

/** A shop as the browser knows it: how to pick it, nothing else. `path` is normalised (`/de`, `/`) or `''`. */
export interface PublicShop {
  path: string
  domain: string
}

/** What the browser gets to know: how to pick a shop, nothing else. */
export interface PublicShopConfig {
  shops: Record<string, PublicShop>
  shopSelector: ShopSelector
  defaultShopId: string
}

const SLASH = 47

/**
 * A configured path prefix in its one form: a leading slash, no trailing or repeated slashes (`de/` → `/de`).
 * @param path the configured path
 * @returns `/` or e.g. `/de`; `''` for no path
 */
export function normaliseShopPath(path: string | undefined): string {
  if (!path) return ''
  const trimmed = `/${path}`.replace(/\/+/g, '/').replace(/\/$/, '')
  return trimmed || '/'
}

/**
 * The shop used when no other matches: the configured one, else the shop at `/`, else the first shop.
 * @param shops the shops, as `[id, shop]` pairs in configuration order
 * @param configured the `defaultShopId` option
 * @returns the shop id
 */
export function defaultShopIdOf(shops: Iterable<readonly [string, { path?: string }]>, configured?: string | number): string {
  if (configured) return String(configured)
  let first: string | undefined
  for (const [id, shop] of shops) {
    if (normaliseShopPath(shop.path) === '/') return id
    first ??= id
  }
  return first!
}

/**
 * The shops that have a path, longest path first: the first whose path matches wins.
 * @param shops the shops, each with its normalised path
 * @returns the shops with a path, sorted
 */
export function shopsByPath<T extends { path?: string }>(shops: Iterable<T>): T[] {
  return [...shops].filter(shop => shop.path).sort((a, b) => b.path!.length - a.path!.length)
}

/**
 * Whether a path lies in a shop's prefix: `/de` holds `/de` and `/de/…`, never `/deals`; `/` holds every path.
 * @param prefix the shop's normalised path
 * @param path a path without query
 * @returns true when the shop serves it
 */
export function inShopPath(prefix: string, path: string): boolean {
  return prefix === '/' || path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === SLASH)
}

/**
 * The shop of a path.
 * @param byPath the shops with a path, longest first ({@link shopsByPath})
 * @param path the path, without query
 * @returns the shop, or undefined
 */
export function shopForPath<T extends { path?: string }>(byPath: readonly T[], path: string): T | undefined {
  // The usual single shop at '/' serves every path: no string work at all.
  if (byPath.length === 1 && byPath[0]!.path === '/') return byPath[0]
  for (const shop of byPath) {
    if (inShopPath(shop.path!, path)) return shop
  }
  return undefined
}

/**
 * The shop of a host name.
 * @param shops the shops
 * @param host the host name, lower case, without port
 * @returns the shop, or undefined
 */
export function shopForHost<T extends { domain?: string }>(shops: Iterable<T>, host: string): T | undefined {
  for (const shop of shops) {
    if (shop.domain && shop.domain.toLowerCase() === host) return shop
  }
  return undefined
}

/**
 * The shop of a page, chosen the way the server chooses it without an `x-shop-id` header: by domain for
 * `shopSelector: 'domain'`, by the longest path prefix otherwise, else the default shop.
 * @param shops the public shop list
 * @param selector the shop selector
 * @param defaultShopId the default shop
 * @param host the page's host name, lower case
 * @param path the page's path
 * @returns the shop id
 */
export function matchShopId(shops: Record<string, PublicShop>, selector: ShopSelector, defaultShopId: string, host: string, path: string): string {
  const entries = Object.entries(shops).map(([id, shop]) => ({ id, ...shop }))
  const shop = selector === 'domain' ? shopForHost(entries, host) : shopForPath(shopsByPath(entries), path)
  return shop?.id ?? defaultShopId
}

/**
 * A path inside a shop: `/account` in a shop at `/de` is `/de/account`. A path already under the prefix, and any path
 * in a shop at `/` or on a domain of its own, is returned as it is.
 * @param prefix the shop's path (`''`, `/` or e.g. `/de`)
 * @param path an app path starting with `/`
 * @returns the path within the shop
 */
export function shopPath(prefix: string, path: string): string {
  if (!prefix || prefix === '/' || path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`)) return path
  return path === '/' ? prefix : `${prefix}${path}`
}
