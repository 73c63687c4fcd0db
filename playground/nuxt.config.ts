export default defineNuxtConfig({
  modules: ['../src/module'],
  devtools: { enabled: true },
  css: ['~/assets/shop.css'],
  compatibilityDate: '2025-07-15',
  storefront: {
    shops: {
      1001: { path: '/' },
      1002: { path: '/de' },
    },
    commerce: {
      maxQuantityPerLine: 99,
    },
    // One instance on the embedded store, unless REDIS_URL is set (server/plugins/redis-url.ts switches to Redis).
    storage: { session: { driver: 'memory' } },
  },
})
