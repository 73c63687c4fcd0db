// The root app installs the module from source, so that composables can be tested in the `nuxt` vitest environment.
export default defineNuxtConfig({
  modules: ['./src/module'],
  compatibilityDate: '2025-07-15',
  storefront: {
    shops: {
      1001: { path: '/' },
      1002: { path: '/de' },
    },
  },
})
