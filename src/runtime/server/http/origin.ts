import type { H3Event } from 'h3'
import { getRequestURL } from 'h3'
import { requestHeader } from '../rpc/headers'
import { isBearerRequest } from '../session/bearer'
import { StorefrontHttpError } from '../session/errors'
import { useStorefrontRuntime } from '../utils/runtime'

/**
 * Where a browser says a request comes from: `same-origin` (this site's own page), `allowed` (a site listed in
 * `rpc.allowedOrigins`), `cross-site` (any other site), or `unknown` (no Fetch Metadata and no Origin: a script, a
 * native app, an old browser's same-origin navigation). `Sec-Fetch-Site` decides when sent, else `Origin`.
 * @param event the request
 * @returns the request's site
 */
export function requestSite(event: H3Event): 'same-origin' | 'allowed' | 'cross-site' | 'unknown' {
  const site = requestHeader(event, 'sec-fetch-site')
  const origin = requestHeader(event, 'origin')
  if (site === 'same-origin') return 'same-origin'
  // A navigation the shopper made (typed, bookmarked): no other site chose it.
  if (site === 'none') return 'unknown'
  if (site === undefined) {
    if (origin === undefined) return 'unknown'
    if (origin === safeRequestOrigin(event)) return 'same-origin'
  }
  return origin !== undefined && useStorefrontRuntime().allowedOrigins.includes(origin) ? 'allowed' : 'cross-site'
}

/**
 * Refuses an account change (a login, a logout, ending or naming sessions) that another site's page made a browser
 * send with the shopper's cookie: a cross-site form could otherwise sign a shopper in to an attacker's account (login
 * CSRF) or out of their own. Bearer requests carry their credential themselves and pass, as do requests that say
 * nothing of their origin (scripts, native apps), sites listed in `rpc.allowedOrigins`, and a top-level `GET`
 * navigation: that is how an identity provider's redirect back (an OAuth or OpenID Connect callback) and a magic link
 * opened from webmail arrive, and such a route checks its own `state` or token.
 * @param event the request
 * @param operation what is refused, for the message
 * @throws a 403 `problem+json` for a cross-site cookie request
 */
export function refuseCrossSite(event: H3Event, operation: string): void {
  if (requestSite(event) !== 'cross-site') return
  if ((event.method === 'GET' || event.method === 'HEAD') && requestHeader(event, 'sec-fetch-mode') === 'navigate' && requestHeader(event, 'sec-fetch-dest') === 'document') return
  if (isBearerRequest(event, useStorefrontRuntime().engine.shop(event))) return
  throw new StorefrontHttpError(403, 'Forbidden', `${operation} is taken from this site only (or an origin in rpc.allowedOrigins), not from a cross-site request`)
}

// A Host no URL can hold (`a b`) names no origin: the request is not this site's.
function safeRequestOrigin(event: H3Event): string | undefined {
  try {
    return requestOrigin(event)
  }
  catch {
    return undefined
  }
}

/**
 * The origin the browser used: behind a proxy trusted with `trustProxy`, its X-Forwarded-Host and X-Forwarded-Proto.
 * @param event the request
 * @returns e.g. `https://shop.example`
 */
export function requestOrigin(event: H3Event): string {
  const trusted = useStorefrontRuntime().engine.shops.trustProxy
  return getRequestURL(event, { xForwardedHost: trusted, xForwardedProto: trusted }).origin
}
