import { addImports, addPlugin, addRouteMiddleware, addServerHandler, addServerImports, addServerPlugin, createResolver, defineNuxtModule } from '@nuxt/kit'
import { defu } from 'defu'
import type { ModuleOptions } from './runtime/types'
import { defaultOptions, STORAGE_ENV_PLACEHOLDERS } from './runtime/server/session/config'
import { OPERATOR_COMMANDS } from './runtime/server/operator/commands'
import { SHOP_ENV_KEYS } from './runtime/server/session/options'
import { defaultShopIdOf, normaliseShopPath } from './runtime/shared/shop'
import type { PublicShopConfig } from './runtime/shared/shop'
import { setupDevtools } from './setup/devtools'
import { setupShopPages } from './setup/pages'
import type { StorefrontPageMeta } from './setup/pages'
import { setupRpc } from './setup/rpc'
import { setupStorage } from './setup/storage'

export type * from './runtime/types'
export type { StorefrontPageMeta } from './setup/pages'

/**
 * What the browser gets to know: how to pick a shop, nothing else. Computed here from the build's options; during SSR
 * the server replaces it with the settings it resolved at start (environment overrides included), and the page
 * payload carries those to the browser.
 */
export type StorefrontPublicRuntimeConfig = PublicShopConfig

declare module '#app' {
  interface PageMeta {
    /** How the page takes part in the shops: `{ prefix: false }` serves it at its own path only, not under `/de`. */
    storefront?: StorefrontPageMeta
  }
}

declare module '@nuxt/schema' {
  interface RuntimeConfig {
    storefront: ModuleOptions
  }
  interface PublicRuntimeConfig {
    storefront: StorefrontPublicRuntimeConfig
  }
}

/** An empty value for every per-shop key that the environment may set. */
function shopPlaceholders() {
  const empty = (keys: readonly string[]) => Object.fromEntries(keys.map(key => [key, '']))
  return { session: empty(SHOP_ENV_KEYS.session), storage: { session: empty(SHOP_ENV_KEYS.storage) } }
}

export default defineNuxtModule<ModuleOptions>({
  meta: {
    name: 'nuxt-storefront-session',
    configKey: 'storefront',
    compatibility: { nuxt: '>=4.0.0' },
  },
  // Shops are left out on purpose: defaults are merged into user options, and a default shop must not be merged
  // into shops the user configured. The engine falls back to shop 1001 when none are given.
  defaults: {
    shopSelector: defaultOptions.shopSelector,
    defaultShopId: defaultOptions.defaultShopId,
    session: { ...defaultOptions.session },
    storage: { session: { ...defaultOptions.storage.session } },
    storeTimeout: defaultOptions.storeTimeout,
    storeUnavailable: defaultOptions.storeUnavailable,
    loginLimit: { ...defaultOptions.loginLimit },
    trustProxy: defaultOptions.trustProxy,
    maxSessionsPerUser: defaultOptions.maxSessionsPerUser,
    rpc: { ...defaultOptions.rpc },
    commerce: { ...defaultOptions.commerce },
  },
  setup(options, nuxt) {
    // One resolver rooted at the package's runtime folder: src/runtime here, dist/runtime once built and bundled.
    const runtimeDir = createResolver(createResolver(import.meta.url).resolve('./runtime'))

    // 1. Runtime config: every option can be overridden at start through NUXT_STOREFRONT_*; keys must exist to be
    //    overridable, hence the empty placeholders of every storage option the README lists as env-settable. The
    //    user's runtimeConfig wins over module options.
    // Through unknown: the generated runtime config types are inferred from the values, and the per-shop keys
    // declared below for env overrides are empty strings there.
    const runtime = defu(nuxt.options.runtimeConfig.storefront as unknown as ModuleOptions | undefined, options, {
      storage: { session: STORAGE_ENV_PLACEHOLDERS },
    }) as ModuleOptions
    // The same for every shop configured now: each documented per-shop key exists (empty: unset, inherits), so that
    // NUXT_STOREFRONT_SHOPS_<ID>_SESSION_SECRET and the like apply at start.
    const declaredShops = runtime.shops && Object.keys(runtime.shops).length > 0 ? runtime.shops : defaultOptions.shops
    runtime.shops = Object.fromEntries(Object.entries(declaredShops).map(([id, shop]) => [id, defu(shop, shopPlaceholders())]))
    // Assigned through Object.assign: in this repository the generated runtime config types are inferred from the
    // root app's own values, which are narrower than the module's option types.
    Object.assign(nuxt.options.runtimeConfig, { storefront: runtime })
    const shops = runtime.shops && Object.keys(runtime.shops).length > 0 ? runtime.shops : defaultOptions.shops
    // Only what the browser needs to pick a shop: never secrets or storage settings.
    const publicConfig: StorefrontPublicRuntimeConfig = defu(nuxt.options.runtimeConfig.public.storefront as Partial<StorefrontPublicRuntimeConfig> | undefined, {
      shops: Object.fromEntries(Object.entries(shops).map(([id, shop]) => [id, { path: normaliseShopPath(shop.path), domain: shop.domain ?? '' }])),
      shopSelector: runtime.shopSelector ?? defaultOptions.shopSelector,
      defaultShopId: defaultShopIdOf(Object.entries(shops), runtime.defaultShopId),
    })
    Object.assign(nuxt.options.runtimeConfig.public, { storefront: publicConfig })

    // Public types, for apps to augment: declare module '#storefront' { interface StorefrontUser { … } }
    nuxt.options.alias['#storefront'] = runtimeDir.resolve('./types/index')

    // 2. Server: the session plugin, the problem+json error handler (before Nuxt's), the server utils, the RPC layer.
    addServerPlugin(runtimeDir.resolve('./server/plugins/session'))
    nuxt.hook('nitro:config', (nitroConfig) => {
      const handlers = nitroConfig.errorHandler ? [nitroConfig.errorHandler].flat() : []
      nitroConfig.errorHandler = [runtimeDir.resolve('./server/http/error-handler'), ...handlers]
    })
    // A page whose session cannot be loaded is a 503, never a guest's page (or the anonymous render the app chose).
    addServerHandler({ middleware: true, handler: runtimeDir.resolve('./server/middleware/store-outage') })
    addServerImports([
      { name: 'limitLoginAttempts', from: runtimeDir.resolve('./server/utils/login-limit') },
      { name: 'useStorefrontSession', from: runtimeDir.resolve('./server/utils/session') },
      ...['getStorefrontUser', 'requireStorefrontUser'].map(name => ({ name, from: runtimeDir.resolve('./server/utils/user') })),
      ...['loginStorefrontUser', 'logoutStorefrontUser', 'destroySessionsForUserId', 'listSessionsForUserId', 'revokeSessionForUserId', 'labelSessionForUserId']
        .map(name => ({ name, from: runtimeDir.resolve('./server/utils/account') })),
      { name: 'defineRpcHandler', from: runtimeDir.resolve('./server/rpc/define') },
    ])
    // The operator's tasks (storefront:sessions:count, …), off the request path: Nitro's tasks are turned on for them.
    nuxt.hook('nitro:config', (nitroConfig) => {
      nitroConfig.experimental = { ...nitroConfig.experimental, tasks: true }
      nitroConfig.tasks ??= {}
      for (const [command, description] of Object.entries(OPERATOR_COMMANDS)) {
        nitroConfig.tasks[`storefront:sessions:${command}`] ??= { handler: runtimeDir.resolve('./server/tasks/sessions'), description }
      }
    })
    setupRpc(nuxt, runtimeDir, runtime.rpc ?? {})
    setupStorage(nuxt, runtime)

    // 3. App: composables, the plugin (SSR load of user, basket and wishlist; tabs in step), the middleware, the shop pages.
    const composables = (file: string, names: string[]) => addImports(names.map(name => ({ name, from: runtimeDir.resolve(`./app/composables/${file}`) })))
    composables('rpc', ['useRpcCall', 'StorefrontRpcError'])
    composables('rpc-data', ['useRpc'])
    composables('shop', ['useStorefrontShop'])
    composables('user', ['useUser'])
    composables('basket', ['useBasket', 'useWishlist'])
    composables('sessions', ['useSessions'])
    addImports({ name: 'localRedirectPath', from: runtimeDir.resolve('./shared/redirect') })
    addPlugin(runtimeDir.resolve('./app/plugins/user'))
    // Added after the user plugin so that it runs before it (addPlugin puts each new plugin first): the shop settings
    // of this start are in place before the first composable reads them.
    addPlugin({ src: runtimeDir.resolve('./app/plugins/shop-config.server'), mode: 'server' })
    addRouteMiddleware({ name: 'storefront-auth', path: runtimeDir.resolve('./app/middleware/storefront-auth') })
    addRouteMiddleware({ name: 'storefront-guest', path: runtimeDir.resolve('./app/middleware/storefront-guest') })
    // Pages: each page is also served under every path shop's prefix (build time).
    setupShopPages(nuxt, shops)

    // 4. Development: the DevTools tab.
    if (nuxt.options.dev) {
      setupDevtools(nuxt, runtimeDir)
    }
  },
})
