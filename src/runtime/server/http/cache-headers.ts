import { appendResponseHeader } from 'h3'
import type { H3Event } from 'h3'
import { nodeRequestHeader, nodeResponseHeader, setNodeResponseHeader } from '../internal/h3'

const PERSONAL = 'private, no-store'

/**
 * A response rendered with a shopper's session, or one that sets or clears the session cookie, must never be stored by
 * a CDN or a shared cache: it is marked `private, no-store`. So is one whose shop a request chose with `x-shop-id`:
 * a cache that keys pages by URL alone (many CDNs ignore `Vary`) would otherwise serve another shop's page, in its
 * language and prices, to every visitor of that URL. Anonymous responses keep their cache headers, with
 * `Vary: Cookie, X-Shop-Id` (and `Authorization` where bearer sessions are accepted) so that a cache keeps them apart
 * from a shopper's.
 * @param event the request, with its session loaded
 */
export function markPersonal(event: H3Event): void {
  const { loaded: session, shop } = event.context.storefront!
  if (!session || !shop) {
    return
  }
  if (!session.isNew || nodeRequestHeader(event, 'x-shop-id') !== undefined || setsCookie(event, `${shop.cookieName}=`)) {
    // Every RPC answer has it already: setting a header validates its name and value again.
    if (nodeResponseHeader(event, 'cache-control') !== PERSONAL) setNodeResponseHeader(event, 'cache-control', PERSONAL)
  }
  else {
    appendResponseHeader(event, 'vary', shop.bearer ? 'Cookie, Authorization, X-Shop-Id' : 'Cookie, X-Shop-Id')
  }
}

function setsCookie(event: H3Event, prefix: string): boolean {
  const header = nodeResponseHeader(event, 'set-cookie')
  if (header === undefined) return false
  return Array.isArray(header) ? header.some(value => value.startsWith(prefix)) : String(header).startsWith(prefix)
}
