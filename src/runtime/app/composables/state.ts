import { toRef } from 'vue'
import type { Ref } from 'vue'
import { useNuxtApp } from '#imports'
import { useStorefrontShop } from './shop'

/** Which shop a composable works for: the current page's unless `shopId` names one (route middleware does). */
export interface ShopScope {
  shopId?: string
}

/**
 * The shop a composable works for.
 * @param scope an explicit shop, or none for the current page's
 * @returns the shop id
 */
export function scopeShopId(scope: ShopScope = {}): string {
  return scope.shopId ?? useStorefrontShop().value
}

/**
 * Per-shop client state under a `storefront-` key: each shop has its own session, so each has its own copy.
 * @param name what the state holds (`user`, `basket`, …)
 * @param init the initial value
 * @param shopId the shop (default: the current page's)
 * @returns the state
 */
export function useShopState<T>(name: string, init: () => T, shopId?: string): Ref<T> {
  return sharedState<T>(`storefront-${name}:${shopId ?? useStorefrontShop().value}`, init)
}

/**
 * State shared between server and browser under `key`, where Nuxt's `useState(key)` keeps it (so both read the
 * same value). Not `useState` itself: a page that reaches it through the module makes Vite split the app's entry
 * into three files, about 2 kB more gzipped (bench/README.md, client JavaScript).
 * @param key the state's key, as given to `useState`
 * @param init the initial value, set when the state has none
 * @returns the state
 */
export function sharedState<T>(key: string, init?: () => T): Ref<T> {
  const nuxtApp = useNuxtApp()
  const state = toRef(nuxtApp.payload.state, `$s${key}`) as Ref<T>
  if (init) {
    // What clearNuxtState(key, { reset: true }) resets it to, as for useState.
    nuxtApp._state[`$s${key}`] ??= { _default: init }
    if (state.value === undefined) state.value = init()
  }
  return state
}
