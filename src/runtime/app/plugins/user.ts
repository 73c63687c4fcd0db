import { defineNuxtPlugin } from '#imports'
import { useUser } from '../composables/user'

/**
 * Loads the user during SSR (in-process, with the page request's session) so the first render knows who is logged
 * in, and revalidates it in the background after each client-side navigation, showing the last value meanwhile.
 */
export default defineNuxtPlugin({
  name: 'storefront-user',
  async setup(nuxtApp) {
    const { refresh, isInitialized } = useUser()
    if (import.meta.server) {
      await refresh().catch(() => {})
      return
    }
    if (!isInitialized.value) {
      refresh().catch(() => {})
    }
    nuxtApp.hook('page:finish', () => {
      refresh({ background: true }).catch(() => {})
    })
  },
})
