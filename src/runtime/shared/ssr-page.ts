import type { H3Event } from 'h3'
import type { PublicShopConfig } from './shop'

/**
 * What the session engine tells the app about a page request while it renders, so that the render follows the
 * server's own decisions instead of recomputing them from the build's options. Like the in-process RPC caller
 * (ssr-rpc.ts), the server leaves it on `globalThis` once at start, under a registered symbol.
 */
export interface SsrPageSource {
  /** How a shop is picked, as this server resolved and validated its options at start (environment included). */
  publicConfig: PublicShopConfig
  /** The shop the engine chose for the request; undefined when it chose none (an unknown `x-shop-id`, a path no shop serves). */
  shopOf: (event: H3Event) => string | undefined
  /** The host name the engine matches shop domains with (`X-Forwarded-Host` under `trustProxy`), lower case, no port. */
  hostOf: (event: H3Event) => string
  /** Whether the engine skips the request's session (a `cache`, `swr` or `isr` route): the render is shared. */
  skips: (event: H3Event) => boolean
}

const KEY = Symbol.for('nuxt-storefront-session:ssr-page-source')

/**
 * Sets the page source (the server's session plugin does, once).
 * @param source the source
 */
export function setSsrPageSource(source: SsrPageSource): void {
  (globalThis as Record<symbol, unknown>)[KEY] = source
}

/**
 * The page source, when this process runs the module's server.
 * @returns the source, or undefined
 */
export function getSsrPageSource(): SsrPageSource | undefined {
  return (globalThis as Record<symbol, unknown>)[KEY] as SsrPageSource | undefined
}
