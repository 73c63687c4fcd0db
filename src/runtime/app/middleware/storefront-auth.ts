import { defineNuxtRouteMiddleware, navigateTo, useRuntimeConfig } from '#imports'
import { useUser } from '../composables/user'

/**
 * Protects a page: a guest is sent to the login page with `?redirect=<path>`, in the same shop.
 * Use it with `definePageMeta({ middleware: 'storefront-auth' })`.
 */
export default defineNuxtRouteMiddleware(async (to) => {
  const { isLoggedIn, isInitialized, refresh } = useUser()
  if (!isInitialized.value) {
    await refresh().catch(() => {})
  }
  if (isLoggedIn.value) {
    return
  }
  const { shops } = useRuntimeConfig().public.storefront
  const prefix = Object.values(shops)
    .map(shop => shop.path)
    .filter(path => path && path !== '/' && (to.path === path || to.path.startsWith(`${path}/`)))
    .sort((a, b) => b.length - a.length)[0] ?? ''
  return navigateTo({ path: `${prefix}/login`, query: { redirect: to.fullPath } })
})
