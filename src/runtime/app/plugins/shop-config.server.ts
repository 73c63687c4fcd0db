import { defineNuxtPlugin } from '#imports'
import { getSsrPageSource } from '../../shared/ssr-page'

/**
 * Puts the shop settings this server resolved at start into the render's runtime config, before anything reads it:
 * `NUXT_STOREFRONT_SHOP_SELECTOR`, `NUXT_STOREFRONT_DEFAULT_SHOP_ID` and the shops' domains and paths from the
 * environment reach the SSR composables and, through the page payload, the browser. The build's values are only the
 * fallback of a process that does not run the module's server.
 */
export default defineNuxtPlugin({
  name: 'storefront-shop-config',
  enforce: 'pre',
  setup(nuxtApp) {
    const source = getSsrPageSource()
    // The render's own copy of the runtime config (Nitro makes one per request), which the payload sends. Assigned
    // through Object.assign: the generated runtime config types are inferred from the build's values (see module.ts).
    if (source && nuxtApp.ssrContext) Object.assign(nuxtApp.$config.public, { storefront: source.publicConfig })
  },
})
