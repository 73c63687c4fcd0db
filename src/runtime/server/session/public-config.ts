import type { PublicShop, PublicShopConfig } from '../../shared/shop'
import type { ResolvedShops } from './config'

/**
 * What the browser needs to pick a shop, from the options this server resolved at start: the environment's
 * overrides of `shopSelector`, `defaultShopId` and the shops' domains and paths included, never a secret.
 * @param shops the resolved shops
 * @returns the public shop settings
 */
export function publicShopConfig(shops: ResolvedShops): PublicShopConfig {
  const publicShops: Record<string, PublicShop> = {}
  for (const shop of shops.byId.values()) publicShops[shop.id] = { path: shop.path ?? '', domain: shop.domain ?? '' }
  return { shops: publicShops, shopSelector: shops.selector, defaultShopId: shops.defaultShopId }
}

/**
 * The shops whose path prefix differs from the one their pages were built with. Each page is served under every path
 * shop's prefix by routes made at build time, so a prefix set only at start has no pages.
 * @param shops the resolved shops
 * @param built the shops as the build knew them (the build's public runtime config)
 * @returns one line per shop that disagrees, naming both prefixes
 */
export function pagePrefixMismatches(shops: ResolvedShops, built: Record<string, PublicShop>): string[] {
  const prefix = (path: string | undefined) => (path && path !== '/' ? path : '')
  const lines: string[] = []
  for (const shop of shops.byId.values()) {
    const id = shop.id
    const now = prefix(shop.path)
    const then = prefix(built[id]?.path)
    if (now === then) continue
    lines.push(`shop ${id} is served under ${now || 'no prefix'} but its pages were built under ${then || 'no prefix'}`)
  }
  return lines
}
