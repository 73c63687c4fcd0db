import { computed } from 'vue'
import type { ComputedRef } from 'vue'
import { useRequestURL, useRoute, useRuntimeConfig } from '#imports'

/**
 * The shop of the current page, chosen the way the server chooses it: by domain, else by the longest path prefix,
 * else the default shop. RPC calls send it as `x-shop-id`.
 * @returns the shop id
 * @example
 * const shopId = useStorefrontShop()
 */
export function useStorefrontShop(): ComputedRef<string> {
  const { shops, defaultShopId } = useRuntimeConfig().public.storefront
  const route = useRoute()
  const host = useRequestURL().hostname.toLowerCase()
  return computed(() => {
    const entries = Object.entries(shops)
    const byDomain = entries.find(([, shop]) => shop.domain && shop.domain.toLowerCase() === host)
    if (byDomain) return byDomain[0]
    let best: [string, { path: string }] | undefined
    for (const entry of entries) {
      const path = entry[1].path
      if (!path) continue
      const matches = path === '/' || route.path === path || route.path.startsWith(`${path}/`)
      if (matches && (!best || path.length > best[1].path.length)) best = entry
    }
    return best?.[0] ?? defaultShopId
  })
}
