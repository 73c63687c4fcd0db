import type { H3Event } from 'h3'
import { getRequestHost } from 'h3'
import { shopForHost, shopForPath } from '../../shared/shop'
import type { ResolvedShop, ResolvedShops } from './config'
import { errorRenderPagePath, nodeRequestHeader } from '../internal/h3'
import { StorefrontHttpError } from './errors'

/**
 * Finds the shop of a request: the `x-shop-id` header when sent (checked against the configured shops), otherwise the
 * domain or path, as `shopSelector` says.
 * @param event the request
 * @param shops the resolved shops
 * @returns the shop
 * @throws a 400 for an unknown or conflicting `x-shop-id`, a 404 when `shopSelector: 'path'` finds no shop: engine
 *   errors ({@link StorefrontHttpError}), so that every route answers them with `application/problem+json`
 */
export function selectShop(event: H3Event, shops: ResolvedShops): ResolvedShop {
  const header = nodeRequestHeader(event, 'x-shop-id')
  const byHost = shops.selector === 'domain' ? hostShop(event, shops) : undefined
  if (header !== undefined) {
    const shopId = Array.isArray(header) ? header.join(',') : header
    const shop = shops.byId.get(shopId)
    if (!shop) {
      throw new StorefrontHttpError(400, 'Bad Request', `unknown shop ${JSON.stringify(shopId.slice(0, 64))} in x-shop-id`)
    }
    // A header may choose among the shops of this host, never read another domain's shop.
    if (byHost && byHost !== shop) {
      throw new StorefrontHttpError(400, 'Bad Request', `x-shop-id ${JSON.stringify(shopId.slice(0, 64))} does not belong to this domain`)
    }
    return shop
  }
  if (byHost) {
    return byHost
  }
  if (shops.selector !== 'domain') {
    // Nuxt's render of a page's error page belongs to the shop of that page.
    const byPath = pathShop(errorRenderPagePath(event) ?? event.path, shops)
    if (byPath) {
      return byPath
    }
    if (shops.selector === 'path') {
      throw new StorefrontHttpError(404, 'Not Found', `no shop serves the path ${JSON.stringify(event.path.slice(0, 128))}`)
    }
  }
  return shops.byId.get(shops.defaultShopId)!
}

/**
 * The host name a request's shop domain is matched with: `X-Forwarded-Host` when the proxy is trusted, else `Host`.
 * @param event the request
 * @param trustProxy the `trustProxy` option
 * @returns the host name, lower case, without port
 */
export function requestHostName(event: H3Event, trustProxy: boolean): string {
  return getRequestHost(event, { xForwardedHost: trustProxy }).replace(/:\d+$/, '').toLowerCase()
}

function hostShop(event: H3Event, shops: ResolvedShops): ResolvedShop | undefined {
  return shopForHost(shops.byId.values(), requestHostName(event, shops.trustProxy))
}

function pathShop(requestPath: string, shops: ResolvedShops): ResolvedShop | undefined {
  const query = requestPath.indexOf('?')
  return shopForPath(shops.byPath, query === -1 ? requestPath : requestPath.slice(0, query))
}
