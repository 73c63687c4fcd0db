// The bench's raw floor page (see server/plugins/bench-floor-page.ts): when that Nitro plugin read the shopper with
// raw ioredis, the page's state is filled from it, after the module's plugin loaded the (cookie-less) request's
// empty state. Without STOREFRONT_BENCH_FLOOR=1 at start no request has `benchShopper`, and this does nothing.
export default defineNuxtPlugin({
  name: 'bench-floor-page',
  dependsOn: ['storefront-user'],
  setup() {
    const shopper = useRequestEvent()?.context.benchShopper as { shopId: string, user: unknown, basket: unknown[], wishlist: unknown[] } | undefined
    if (!shopper) return
    useState(`storefront-user:${shopper.shopId}`).value = { user: shopper.user, isInitialized: true, fromCache: false }
    useState(`storefront-basket:${shopper.shopId}`).value = { items: shopper.basket, loaded: true }
    useState(`storefront-wishlist:${shopper.shopId}`).value = { items: shopper.wishlist, loaded: true }
  },
})
