import { addCustomTab } from '@nuxt/devtools-kit'
import { addServerHandler } from '@nuxt/kit'
import type { Resolver } from '@nuxt/kit'
import type { Nuxt } from '@nuxt/schema'

/** The DevTools route; registered in development only. */
export const DEVTOOLS_ROUTE = '/__storefront_devtools'

/**
 * Adds the "Storefront session" DevTools tab: a page served by the dev server that shows the request's shop,
 * session (id masked), user, data keys, basket and wishlist, with buttons to regenerate or destroy the session.
 * @param nuxt the Nuxt instance
 * @param runtimeDir resolves paths inside the package's runtime folder
 */
export function setupDevtools(nuxt: Nuxt, runtimeDir: Resolver): void {
  addServerHandler({ route: `${DEVTOOLS_ROUTE}/**`, handler: runtimeDir.resolve('./server/devtools/handler') })
  addServerHandler({ route: DEVTOOLS_ROUTE, handler: runtimeDir.resolve('./server/devtools/handler') })
  addCustomTab({
    name: 'storefront-session',
    title: 'Storefront session',
    icon: 'carbon:shopping-cart',
    view: { type: 'iframe', src: DEVTOOLS_ROUTE },
  }, nuxt)
}
