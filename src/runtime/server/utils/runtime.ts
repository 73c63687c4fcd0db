import type { NitroApp } from 'nitropack/types'
import type { CommerceLimits, StorefrontCommerceAdapters } from '../../types/commerce'
import type { CommerceStore } from '../store/commerce'
import type { OperatorTarget } from '../operator/operations'
import type { ResolvedShop } from '../session/config'
import type { SessionEngine } from '../session/engine'
import type { SessionStore } from '../store/session'

/** Everything the server side of the module shares, set up once by the session plugin. */
export interface StorefrontRuntime {
  engine: SessionEngine
  sessionsFor: (shop: ResolvedShop) => Promise<SessionStore>
  commerceFor: (shopId: string) => Promise<CommerceStore>
  /** Every shop with its session store and where its keys are walked, for the operator's tasks. */
  operatorTargets: () => Promise<Map<string, OperatorTarget>>
  /** The adapters in use, after the `storefront:commerce` hook had its say. */
  adapters: () => Promise<StorefrontCommerceAdapters>
  limits: (shop: ResolvedShop) => CommerceLimits
  rpcBodyLimit: number
  /** Calls with an `Idempotency-Key` per session and window (`rpc.idempotencyLimit`). */
  rpcIdempotencyLimit: number
  /** Origins allowed to call state-changing RPC methods; empty means no check. */
  allowedOrigins: string[]
  hooks: NitroApp['hooks']
  production: boolean
  /** The login limiter's defaults (`loginLimit` options). */
  loginLimit: { perAccount: number, perAddress: number, window: number }
  /** What a page gets when its session cannot be loaded: a 503 (`'error'`) or an anonymous render. */
  storeUnavailable: 'error' | 'anonymous'
}

let runtime: StorefrontRuntime | undefined

/**
 * Registers the runtime of this server; the session plugin calls it once at start.
 * @param instance the runtime
 */
export function setStorefrontRuntime(instance: StorefrontRuntime): void {
  runtime = instance
}

/**
 * The module's server runtime.
 * @returns the runtime
 * @example
 * const { engine } = useStorefrontRuntime()
 */
export function useStorefrontRuntime(): StorefrontRuntime {
  if (!runtime) {
    throw new Error('[storefront] the session runtime is not ready: is nuxt-storefront-session in `modules`?')
  }
  return runtime
}

// Re-exported where it lived before internal/hookable.ts took it (its unit test imports it from here).
export { hasHookListeners } from '../internal/hookable'
