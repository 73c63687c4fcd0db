import type { Nuxt, NuxtPage } from '@nuxt/schema'

/** What `definePageMeta({ storefront })` says about a page. */
export interface StorefrontPageMeta {
  /**
   * `false` keeps the page out of the path shops: it is served at its own path only, not under `/de` and the like.
   * @default true
   */
  prefix?: boolean
}

/**
 * Serves every page under each path shop's prefix too, the way @nuxtjs/i18n's prefix strategy does for locales:
 * `pages/account.vue` answers `/account` and, for a shop at `/de`, `/de/account` (route name `account___1002`).
 * A page opts out with `definePageMeta({ storefront: { prefix: false } })`; a page the app placed under a prefix
 * itself (`pages/de/…`) is left alone, and so is a prefixed path the app already has a page for.
 * @param nuxt the Nuxt instance
 * @param shops the configured shops (their `path` at build time)
 */
export function setupShopPages(nuxt: Nuxt, shops: Record<string, { path?: string }>): void {
  const prefixes = Object.entries(shops)
    .map(([id, shop]) => [id, (shop?.path ?? '').replace(/\/+$/, '')] as const)
    .filter(([, path]) => path.startsWith('/') && path.length > 1)
  if (prefixes.length === 0) return
  const extraction = nuxt.options.experimental.extraPageMetaExtractionKeys ?? []
  if (!extraction.includes('storefront')) nuxt.options.experimental.extraPageMetaExtractionKeys = [...extraction, 'storefront']

  nuxt.hook('pages:resolved', (pages) => {
    const taken = new Set(pages.map(page => page.path))
    const added: NuxtPage[] = []
    for (const page of pages) {
      if ((page.meta?.storefront as StorefrontPageMeta | undefined)?.prefix === false) continue
      for (const [shopId, prefix] of prefixes) {
        if (page.path === prefix || page.path.startsWith(`${prefix}/`) || prefixes.some(([, other]) => page.path === other || page.path.startsWith(`${other}/`))) continue
        const path = page.path === '/' ? prefix : `${prefix}${page.path}`
        if (taken.has(path)) continue
        taken.add(path)
        added.push(prefixed(page, shopId, prefix))
      }
    }
    pages.push(...added)
  })
}

function prefixed(page: NuxtPage, shopId: string, prefix: string): NuxtPage {
  const copy: NuxtPage = { ...page, path: page.path === '/' ? prefix : `${prefix}${page.path}` }
  if (page.name) copy.name = `${page.name}___${shopId}`
  if (page.alias) copy.alias = [page.alias].flat().map(alias => `${prefix}${alias}`)
  // Child paths are relative to the parent; only their names must differ.
  if (page.children) copy.children = page.children.map(child => renamed(child, shopId))
  return copy
}

function renamed(page: NuxtPage, shopId: string): NuxtPage {
  return { ...page, name: page.name ? `${page.name}___${shopId}` : undefined, children: page.children?.map(child => renamed(child, shopId)) }
}
