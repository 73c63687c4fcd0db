import { defineNuxtRouteMiddleware, navigateTo } from '#imports'
import { prefixOf, useShopIdOf } from '../composables/shop'
import { useUser } from '../composables/user'
import { isSharedRender } from '../composables/sync'
import { shopPath } from '../../shared/shop'
import { localRedirectPath } from '../../shared/redirect'

/**
 * For pages a logged-in shopper skips, such as login: a shopper logged in to the target page's shop goes on to
 * `?redirect=<path>` (a path of this site, see `localRedirectPath`), or to the shop's home page.
 * Use it with `definePageMeta({ middleware: 'storefront-guest' })`.
 */
export default defineNuxtRouteMiddleware(async (to) => {
  // A shared render (cached route) has no session: the browser runs this middleware again at hydration and decides.
  if (isSharedRender()) return
  const shopId = useShopIdOf(() => to.path).value
  const { isLoggedIn, isInitialized, refresh } = useUser({ shopId })
  if (!isInitialized.value) {
    await refresh().catch(() => {})
  }
  if (!isLoggedIn.value) {
    return
  }
  return navigateTo(localRedirectPath(to.query.redirect) ?? shopPath(prefixOf(shopId), '/'))
})
