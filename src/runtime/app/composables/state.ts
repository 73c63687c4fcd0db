import type { Ref } from 'vue'
import { useState } from '#imports'
import { useStorefrontShop } from './shop'

/**
 * Per-shop client state under a `storefront-` key: each shop has its own session, so each has its own copy.
 * @param name what the state holds (`user`, `basket`, …)
 * @param init the initial value
 * @returns the state
 */
export function useShopState<T>(name: string, init: () => T): Ref<T> {
  const shopId = useStorefrontShop()
  return useState<T>(`storefront-${name}:${shopId.value}`, init)
}
