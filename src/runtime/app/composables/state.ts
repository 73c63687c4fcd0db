import type { Ref } from 'vue'
import { useState } from '#imports'
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
  return useState<T>(`storefront-${name}:${shopId ?? useStorefrontShop().value}`, init)
}
