import { abortNavigation, createError, defineNuxtRouteMiddleware, navigateTo, useError, useNuxtApp } from '#imports'
import { prefixOf, useShopIdOf } from '../composables/shop'
import { useUser } from '../composables/user'
import { isSharedRender } from '../composables/sync'
import { shopPath } from '../../shared/shop'

/**
 * Protects a page: a guest of the target page's shop is sent to that shop's login page with `?redirect=<path>`.
 * Use it with `definePageMeta({ middleware: 'storefront-auth' })`.
 */
export default defineNuxtRouteMiddleware(async (to) => {
  // The shop of the page being entered, not of the page being left: each shop has its own login.
  const shopId = useShopIdOf(() => to.path).value
  // The store is out (the server could not load this page's session): whether the shopper is logged in is unknown,
  // and a trip to the login page would look like a logout.
  // (The request's event as useRequestEvent() gives it; see the note in composables/shop.ts.)
  const outage = import.meta.server && useNuxtApp().ssrContext?.event.context.storefront?.unavailable === true
  // An error page being rendered (the outage's 503 among them) sends nobody to the login.
  if (useError().value) return
  // A shared render (cached route) has no session: the browser runs this middleware again at hydration and decides.
  if (isSharedRender()) return
  const { isLoggedIn, isInitialized, isUnavailable, refresh } = useUser({ shopId })
  if (!isInitialized.value && !outage) {
    await refresh().catch(() => {})
  }
  if (isLoggedIn.value) {
    return
  }
  if (outage || isUnavailable.value) {
    return abortNavigation(createError({ statusCode: 503, statusMessage: 'Service Unavailable', message: 'temporarily unavailable: please try again in a few seconds' }))
  }
  return navigateTo({ path: shopPath(prefixOf(shopId), '/login'), query: { redirect: to.fullPath } })
})
