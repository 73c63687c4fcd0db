import type { H3Event } from 'h3'
import { defineEventHandler, setResponseHeader } from 'h3'
import { StoreUnavailableError, StorefrontHttpError } from '../session/errors'
import { useStorefrontRuntime } from '../utils/runtime'
import { nodeRequestHeader } from '../internal/h3'
import { storefrontContext } from '../session/engine'

const NOT_PAGES = /^\/(?:api\/|_nuxt\/|__nuxt|_ipx\/|favicon\.ico$)/

/**
 * A page request loads its session before anything renders: when the store is out (stopped, hung), the page is a 503
 * (`Retry-After`, `no-store`) instead of a guest's page or a redirect to the login, which a shopper would take for a
 * logout and a CDN might keep. With `storeUnavailable: 'anonymous'` the page renders without the session instead,
 * marked `private, no-store`, and the client composables report the store as unavailable.
 *
 * This middleware does it for a browser's navigation (it asks for HTML), before any other handler. The session plugin
 * does it again when Nuxt's renderer starts (`render:before`), so that a page asked for with any `Accept` (the
 * wildcard `fetch` and curl send) gets the same answer, while the app's own server routes load a session only if
 * they need one.
 */
export default defineEventHandler((event) => {
  if ((event.method !== 'GET' && event.method !== 'HEAD') || !String(nodeRequestHeader(event, 'accept') ?? '').includes('text/html')) return
  return checkPageSession(event)
})

/**
 * Loads the session of a page request (once: the render reads this same session), and answers as the module
 * describes when it cannot: a 400 problem for a request the engine refuses as malformed, a 503 for a store that is out
 * (or, with `storeUnavailable: 'anonymous'`, a render without the session, `private, no-store`).
 * @param event the request
 * @returns once the session is loaded, or the page may render without it
 * @throws the engine's 400, or the store's 503
 */
export async function checkPageSession(event: H3Event): Promise<void> {
  // Checked once: a navigation the middleware checked already is not loaded again when its render starts (a failed
  // load is not kept, and a hung store would be waited for a second time).
  const checked = event.context.storefront
  if (checked?.loaded || checked?.unavailable || NOT_PAGES.test(event.path)) return
  const runtime = useStorefrontRuntime()
  // A page shows the shopper's basket and wishlist: they are read in the session's round trip.
  storefrontContext(event).page = true
  try {
    await runtime.engine.session(event)
  }
  catch (error) {
    // A request the engine refuses as malformed (an unknown or foreign `x-shop-id`, a cookie and a token of different
    // sessions) is a 400 problem here too, never a page rendered for another shop or without its session.
    if (error instanceof StorefrontHttpError && error.statusCode === 400) throw error
    if (!(error instanceof StoreUnavailableError)) return
    if (runtime.storeUnavailable !== 'anonymous') throw error
    setResponseHeader(event, 'cache-control', 'private, no-store')
    event.context.storefront = { ...event.context.storefront, unavailable: true }
  }
}
