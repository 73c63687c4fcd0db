import { defineNuxtRouteMiddleware, navigateTo } from '#imports'
import { prefixOf, useShopIdOf } from '../composables/shop'
import { useUser } from '../composables/user'
import { shopPath } from '../../shared/shop'

/**
 * For pages a logged-in shopper skips, such as login: a shopper logged in to the target page's shop goes on to
 * `?redirect=<path>` (a path of this site), or to the shop's home page.
 * Use it with `definePageMeta({ middleware: 'storefront-guest' })`.
 */
export default defineNuxtRouteMiddleware(async (to) => {
  const shopId = useShopIdOf(() => to.path).value
  const { isLoggedIn, isInitialized, refresh } = useUser({ shopId })
  if (!isInitialized.value) {
    await refresh().catch(() => {})
  }
  if (!isLoggedIn.value) {
    return
  }
  const redirect = to.query.redirect
  const local = typeof redirect === 'string' && redirect.startsWith('/') && !redirect.startsWith('//') && !redirect.includes('\\')
  return navigateTo(local ? redirect : shopPath(prefixOf(shopId), '/'))
})
