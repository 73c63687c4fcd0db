export default defineNuxtConfig({
  modules: ['../src/module'],
  devtools: { enabled: true },
  compatibilityDate: '2025-07-15',
  storefront: {
    shops: {
      1001: { path: '/' },
      1002: { path: '/de' },
    },
  },
})
