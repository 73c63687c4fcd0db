// nuxt.config.ts
export default defineNuxtConfig({
  modules: ['nuxt-storefront-session'],
  compatibilityDate: '2025-07-15',
  storefront: {
    shops: {
      1001: { path: '/' },
      1002: { path: '/de' },
    },
  },
})
