import { addRouteMiddleware, defineNuxtPlugin, onNuxtReady } from '#imports'
import type { BasketLine, StorefrontUser, WishlistItem } from '../../types'
import { useStorefrontShop, useShopIdOf } from '../composables/shop'
import { reloadLists } from '../composables/basket'
import { sharedState } from '../composables/state'
import { isSharedRender, STALE_AFTER_MS, tabChannel, useLoadedAt } from '../composables/sync'
import { loadShopper } from '../composables/user'
import type { StorefrontTabMessage } from '../composables/sync'

/**
 * Loads the shop's user, basket and wishlist during SSR (in-process, with the page request's session: one session
 * read, and basket and wishlist in one store round trip), so that the page hydrates without a refetch; a page under a
 * `cache`, `swr` or `isr` route rule renders without them and the browser loads them after hydration. In the
 * browser, a navigation into a shop not loaded yet waits for it; one into a shop loaded more than
 * {@link STALE_AFTER_MS} ago revalidates in the background. Tabs keep each other in step over a BroadcastChannel.
 */
export default defineNuxtPlugin({
  name: 'storefront-user',
  async setup(nuxtApp) {
    const shopId = useStorefrontShop().value
    if (import.meta.server) {
      // A cached route's render is shared: the state stays unloaded (not initialised, loaded at 0), and the browser
      // loads it below once the page has hydrated.
      if (!isSharedRender()) await loadShopper(shopId)
      return
    }
    if (useLoadedAt(shopId).value === 0) {
      // A render without the shopper (a cached route's) hydrates as it was rendered, then loads the shopper: loaded
      // during hydration, the header would no longer match the HTML, and Vue would keep the wrong elements.
      // Unless something loaded it meanwhile.
      const load = () => useLoadedAt(shopId).value === 0 ? loadShopper(shopId).catch(() => {}) : undefined
      if (nuxtApp.isHydrating) onNuxtReady(() => nuxtApp.runWithContext(load))
      else load()
    }
    addRouteMiddleware('storefront-shop-state', async (to) => {
      // The target's shop, from the target route: useRoute() inside middleware would give the route being left.
      const target = useShopIdOf(() => to.path).value
      const loadedAt = useLoadedAt(target).value
      // The first route's middleware runs while the page hydrates: an unloaded shopper is loaded once it has (above).
      if (loadedAt === 0 && nuxtApp.isHydrating) return
      if (loadedAt === 0) await loadShopper(target).catch(() => {})
      else if (Date.now() - loadedAt > STALE_AFTER_MS) loadShopper(target, { background: true }).catch(() => {})
    }, { global: true })

    tabChannel()?.addEventListener('message', (message: MessageEvent<StorefrontTabMessage>) => {
      const { shopId: from, kind, value } = message.data ?? {}
      if (typeof from !== 'string') return
      nuxtApp.runWithContext(() => {
        if (kind === 'user') {
          sharedState(`storefront-user:${from}`).value = { user: value as StorefrontUser | null, isInitialized: true, fromCache: false }
          // A login merged the guest's basket, a logout left a guest's: the lists are read again.
          reloadLists(from).catch(() => {})
        }
        else if (kind === 'basket' || kind === 'wishlist') {
          sharedState(`storefront-${kind}:${from}`).value = { items: value as BasketLine[] | WishlistItem[], loaded: true }
        }
      })
    })
  },
})
