import { computed } from 'vue'
import type { ComputedRef } from 'vue'
import { getRequestURL } from 'h3'
import type { H3Event } from 'h3'
import { useNuxtApp, useRuntimeConfig } from '#imports'
import { matchShopId, shopPath } from '../../shared/shop'
import type { PublicShop, ShopSelector } from '../../shared/shop'
import { getSsrPageSource } from '../../shared/ssr-page'

/** What `useStorefrontShop` returns: the shop id as a computed ref, with the shop's prefix and a link helper. */
export type StorefrontShopRef = ComputedRef<string> & {
  /** The shop's path prefix: `''` for a shop at `/` or on a domain of its own, e.g. `/de` otherwise. */
  prefix: ComputedRef<string>
  /** A path inside the current shop: `link('/account')` is `/de/account` in the shop at `/de`. */
  link: (path: string) => string
}

/**
 * The shop of the current page, chosen the way the server chooses it (`shopSelector`): by domain, or by the longest
 * path prefix, else the default shop. RPC calls send it as `x-shop-id`. Its `link` builds paths inside the shop.
 * @returns the shop id, its prefix and `link`
 * @example
 * const shop = useStorefrontShop()
 * shop.value // '1002' on /de/…
 * shop.link('/basket') // '/de/basket'
 */
export function useStorefrontShop(): StorefrontShopRef {
  // The router's route through the app rather than useRoute(), and the request's host below rather than
  // useRequestURL(): a page that imports these through the module would otherwise make Vite split the app's entry
  // into three files (bench/README.md, client JavaScript).
  const router = useNuxtApp().$router
  const id = useShopIdOf(() => router.currentRoute.value.path)
  const prefix = computed(() => prefixOf(id.value))
  return Object.assign(id, { prefix, link: (path: string) => shopPath(prefix.value, path) })
}

/**
 * The shop of a path, without reading the current route (route middleware must use the target route instead).
 * @param path a getter of the path
 * @returns the shop id
 */
export function useShopIdOf(path: () => string): ComputedRef<string> {
  const { shops, shopSelector, defaultShopId } = useRuntimeConfig().public.storefront
  const event = import.meta.server ? useNuxtApp().ssrContext?.event : undefined
  const page = event ? serverPage(event) : undefined
  if (page) {
    // During SSR the request's own path has the shop the engine chose (its x-shop-id and trustProxy rules included);
    // another path is matched with the host the engine matched.
    return computed(() => {
      const target = path()
      return target === page.path && page.shopId !== undefined ? page.shopId : matchShopId(shops, shopSelector as ShopSelector, defaultShopId, page.host, target)
    })
  }
  const host = (event ? getRequestURL(event) : location).hostname.toLowerCase()
  return computed(() => matchShopId(shops, shopSelector as ShopSelector, defaultShopId, host, path()))
}

interface ServerPage {
  path: string
  host: string
  shopId: string | undefined
}

const serverPages = new WeakMap<H3Event, ServerPage>()

// What the engine decided for the request being rendered, asked once per render.
function serverPage(event: H3Event): ServerPage | undefined {
  let page = serverPages.get(event)
  if (page) return page
  const source = getSsrPageSource()
  if (!source) return undefined
  const query = event.path.indexOf('?')
  page = { path: query === -1 ? event.path : event.path.slice(0, query), host: source.hostOf(event), shopId: source.shopOf(event) }
  serverPages.set(event, page)
  return page
}

/**
 * The path prefix of a shop.
 * @param shopId the shop
 * @returns `''` for a shop at `/` (or by domain only), e.g. `/de` otherwise
 */
export function prefixOf(shopId: string): string {
  const shops: Record<string, PublicShop> = useRuntimeConfig().public.storefront.shops
  const path = shops[shopId]?.path ?? ''
  return path === '/' ? '' : path
}
