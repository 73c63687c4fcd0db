/** Builds links inside the current shop: shop 1002 lives under /de. */
export function useShopLink() {
  const shopId = useStorefrontShop()
  const shops: Record<string, { path: string }> = useRuntimeConfig().public.storefront.shops
  return (path: string) => {
    const prefix = shops[shopId.value]?.path || '/'
    return prefix === '/' ? path : `${prefix}${path === '/' ? '' : path}`
  }
}
