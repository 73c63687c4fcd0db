import { useNuxtApp } from '#imports'
import { sharedState } from './state'
import { getSsrPageSource } from '../../shared/ssr-page'

/** What tabs tell each other: a shop's user, basket or wishlist changed, and its new value. */
export interface StorefrontTabMessage {
  shopId: string
  kind: 'user' | 'basket' | 'wishlist'
  value: unknown
}

/** After this long, a navigation reloads the shop's user, basket and wishlist in the background. */
export const STALE_AFTER_MS = 30_000

const CHANNEL = 'storefront'
let channel: BroadcastChannel | undefined

/**
 * The tabs' channel (one per origin, so tabs of one shop share it), in the browser only.
 * @returns the channel, or undefined during SSR or where BroadcastChannel is missing
 */
export function tabChannel(): BroadcastChannel | undefined {
  if (import.meta.server || typeof BroadcastChannel === 'undefined') return undefined
  return (channel ??= new BroadcastChannel(CHANNEL))
}

/**
 * Tells the other tabs of this origin that a shop's state changed by an action of this tab.
 * @param shopId the shop
 * @param kind what changed
 * @param value its new value (sent as JSON)
 */
export function tellOtherTabs(shopId: string, kind: StorefrontTabMessage['kind'], value: unknown): void {
  tabChannel()?.postMessage({ shopId, kind, value: JSON.parse(JSON.stringify(value ?? null)) } satisfies StorefrontTabMessage)
}

/**
 * When a shop's user, basket and wishlist were last loaded (ms since epoch; 0: never), shared under
 * `storefront-loaded:<shopId>`.
 * @param shopId the shop
 * @returns the state
 */
export function useLoadedAt(shopId: string) {
  return sharedState<number>(`storefront-loaded:${shopId}`, () => 0)
}

/**
 * Whether this is a server render the session engine skipped (a `cache`, `swr` or `isr` route): its HTML may be
 * shared by every shopper, so nothing user-specific is loaded into it, and the browser loads the shopper's state after
 * hydration (`storefront-loaded:<shopId>` stays 0).
 * @returns true during such a render; always false in the browser
 */
export function isSharedRender(): boolean {
  if (!import.meta.server) return false
  const event = useNuxtApp().ssrContext?.event
  return event !== undefined && getSsrPageSource()?.skips(event) === true
}
