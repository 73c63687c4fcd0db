import type { H3Event } from 'h3'
import { createError, getRequestHost } from 'h3'
import type { ResolvedShop, ResolvedShops } from './config'

/**
 * Finds the shop of a request: the `x-shop-id` header when sent (checked against the configured shops), otherwise the
 * domain or path, as `shopSelector` says.
 * @param event the request
 * @param shops the resolved shops
 * @returns the shop
 * @throws a 400 for an unknown or conflicting `x-shop-id`, a 404 when `shopSelector: 'path'` finds no shop
 */
export function selectShop(event: H3Event, shops: ResolvedShops): ResolvedShop {
  const header = event.node.req.headers['x-shop-id']
  const byHost = shops.selector === 'domain' ? shopForHost(event, shops) : undefined
  if (header !== undefined) {
    const shopId = Array.isArray(header) ? header.join(',') : header
    const shop = shops.byId.get(shopId)
    if (!shop) {
      throw createError({ status: 400, message: `unknown shop ${JSON.stringify(shopId.slice(0, 64))} in x-shop-id` })
    }
    // A header may choose among the shops of this host, never read another domain's shop.
    if (byHost && byHost !== shop) {
      throw createError({ status: 400, message: `x-shop-id ${shopId} does not belong to this domain` })
    }
    return shop
  }
  if (byHost) {
    return byHost
  }
  if (shops.selector !== 'domain') {
    const byPath = shopForPath(event.path, shops)
    if (byPath) {
      return byPath
    }
    if (shops.selector === 'path') {
      throw createError({ status: 404, message: `no shop serves the path ${JSON.stringify(event.path.slice(0, 128))}` })
    }
  }
  return shops.byId.get(shops.defaultShopId)!
}

function shopForHost(event: H3Event, shops: ResolvedShops): ResolvedShop | undefined {
  const host = getRequestHost(event, { xForwardedHost: shops.trustProxy }).replace(/:\d+$/, '').toLowerCase()
  for (const shop of shops.byId.values()) {
    if (shop.domain && shop.domain.toLowerCase() === host) {
      return shop
    }
  }
  return undefined
}

function shopForPath(requestPath: string, shops: ResolvedShops): ResolvedShop | undefined {
  const path = requestPath.split('?')[0]!
  let best: ResolvedShop | undefined
  for (const shop of shops.byId.values()) {
    if (!shop.path) {
      continue
    }
    const matches = shop.path === '/' || path === shop.path || path.startsWith(`${shop.path}/`)
    if (matches && (!best || shop.path.length > best.path!.length)) {
      best = shop
    }
  }
  return best
}
