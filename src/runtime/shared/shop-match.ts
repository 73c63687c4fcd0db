/** A shop as the browser knows it: how to pick it, nothing else. */
export interface PublicShop {
  path: string
  domain: string
}

/**
 * The shop of a page, chosen the way the server chooses it: by domain, else by the longest path prefix, else the
 * default shop.
 * @param shops the public shop list
 * @param defaultShopId the default shop
 * @param host the page's host name, lower case
 * @param path the page's path
 * @returns the shop id
 */
export function matchShopId(shops: Record<string, PublicShop>, defaultShopId: string, host: string, path: string): string {
  let best: string | undefined
  let bestLength = -1
  for (const [id, shop] of Object.entries(shops)) {
    if (shop.domain && shop.domain.toLowerCase() === host) return id
    const prefix = shop.path
    if (!prefix) continue
    const matches = prefix === '/' || path === prefix || path.startsWith(`${prefix}/`)
    if (matches && prefix.length > bestLength) {
      best = id
      bestLength = prefix.length
    }
  }
  return best ?? defaultShopId
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
