import type { SessionEngine } from '../session/engine'

let engine: SessionEngine | undefined

/**
 * Registers the engine of this server; the session plugin calls it once at start.
 * @param instance the engine
 */
export function setStorefrontEngine(instance: SessionEngine): void {
  engine = instance
}

/**
 * The session engine of this server.
 * @returns the engine
 * @example
 * const shop = useStorefrontEngine().shop(event)
 */
export function useStorefrontEngine(): SessionEngine {
  if (!engine) {
    throw new Error('[storefront] the session engine is not ready: is nuxt-storefront-session in `modules`?')
  }
  return engine
}
