import { defineEventHandler, setResponseHeader } from 'h3'
import { StoreUnavailableError, StorefrontHttpError } from '../session/errors'
import { useStorefrontRuntime } from '../utils/runtime'
import { nodeRequestHeader } from '../internal/h3'

const NOT_PAGES = /^\/(?:api\/|_nuxt\/|__nuxt|_ipx\/|favicon\.ico$)/

/**
 * A page request loads its session before anything renders: when the store is out (stopped, hung), the page is a 503
 * (`Retry-After`, `no-store`) instead of a guest's page or a redirect to the login, which a shopper would take for a
 * logout and a CDN might keep. With `storeUnavailable: 'anonymous'` the page renders without the session instead,
 * marked `private, no-store`, and the client composables report the store as unavailable.
 */
export default defineEventHandler(async (event) => {
  // Pages only: a browser's navigation asks for HTML. Other server routes load a session when they need one.
  if ((event.method !== 'GET' && event.method !== 'HEAD') || NOT_PAGES.test(event.path)
    || !String(nodeRequestHeader(event, 'accept') ?? '').includes('text/html')) return
  const runtime = useStorefrontRuntime()
  try {
    // Loaded once per request: the render reads this same session.
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
})
