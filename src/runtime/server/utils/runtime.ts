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

type HookName = Parameters<NitroApp['hooks']['callHook']>[0]

/**
 * Tells whether a hook has listeners. hookable's `callHook` makes a console task and a promise chain even when
 * nothing listens, which an RPC call would pay four times; callers skip the call (and building its payload) when
 * this says no. While hookable's debugging taps (`beforeEach`, `afterEach`) are on, or its internals look different
 * from what this expects, the answer is yes, so that hooks are never skipped wrongly.
 * @param hooks the Nitro app's hooks
 * @param name a hook name
 * @returns false only when the hook certainly has no listener
 */
export function hasHookListeners(hooks: NitroApp['hooks'], name: HookName): boolean {
  const internals = hooks as unknown as { _hooks?: Record<string, unknown[] | undefined>, _before?: unknown[], _after?: unknown[] }
  if (typeof internals._hooks !== 'object' || internals._hooks === null || internals._before?.length || internals._after?.length) {
    return true
  }
  return (internals._hooks[name]?.length ?? 0) > 0
}
