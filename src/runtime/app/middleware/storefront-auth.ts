import { createError, defineNuxtRouteMiddleware, navigateTo } from '#imports'
import { prefixOf, useShopIdOf } from '../composables/shop'
import { useUser } from '../composables/user'
import { shopPath } from '../../shared/shop-match'

/**
 * Protects a page: a guest of the target page's shop is sent to that shop's login page with `?redirect=<path>`.
 * Use it with `definePageMeta({ middleware: 'storefront-auth' })`.
 */
export default defineNuxtRouteMiddleware(async (to) => {
  // The shop of the page being entered, not of the page being left: each shop has its own login.
  const shopId = useShopIdOf(() => to.path).value
  const { isLoggedIn, isInitialized, isUnavailable, refresh } = useUser({ shopId })
  if (!isInitialized.value) {
    await refresh().catch(() => {})
  }
  if (isLoggedIn.value) {
    return
  }
  // The store is out: whether the shopper is logged in is unknown, and a trip to the login page would look like a logout.
  if (isUnavailable.value) {
    throw createError({ statusCode: 503, statusMessage: 'Service Unavailable', message: 'temporarily unavailable: please try again in a few seconds' })
  }
  return navigateTo({ path: shopPath(prefixOf(shopId), '/login'), query: { redirect: to.fullPath } })
})
