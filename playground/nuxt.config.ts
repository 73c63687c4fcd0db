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
  },
})
