import type { StorefrontRpcMethods } from '#storefront/rpc-methods'
import { useNuxtApp } from '#imports'
import type { RpcParams, RpcResult } from '../../types/rpc'
import { getSsrRpcCaller } from '../../shared/ssr-rpc'
import type { SsrRpcFailure } from '../../shared/ssr-rpc'
import { useStorefrontShop } from './shop'
import type { ShopScope } from './state'

/** Every RPC method name of the app. */
export type RpcMethodName = keyof StorefrontRpcMethods & string
/** What a method takes. */
export type RpcMethodParams<M extends RpcMethodName> = RpcParams<StorefrontRpcMethods[M]>
/** What a method returns, as JSON brings it over. */
export type RpcMethodResult<M extends RpcMethodName> = RpcResult<StorefrontRpcMethods[M]>
/** The arguments of a call: none for methods without params. */
export type RpcCallArgs<M extends RpcMethodName> = [RpcMethodParams<M>] extends [void | undefined] ? [params?: undefined] : [params: RpcMethodParams<M>]

/** An RPC call that failed: the problem details the server sent (RFC 9457). */
export class StorefrontRpcError extends Error {
  override name = 'StorefrontRpcError'
  constructor(readonly method: string, readonly status: number, readonly title: string, readonly detail?: string, readonly data?: Record<string, unknown>) {
    super(detail || title)
  }
}

/** Methods named get… or list… only read: their calls carry no Idempotency-Key. */
const READ_METHOD = /^(?:get|list)[A-Z]/

/**
 * A function that calls one RPC method. In the browser it POSTs to `/api/rpc/<method>` with `x-shop-id`; during SSR
 * it runs the method in-process with the page request's session.
 * @param method the method name
 * @param scope `{ shopId }` to call for another shop than the current page's (route middleware does)
 * @returns the caller
 * @example
 * const addItemToBasket = useRpcCall('addItemToBasket')
 * const { items } = await addItemToBasket({ variantId: 101, quantity: 1 })
 */
export function useRpcCall<M extends RpcMethodName>(method: M, scope: ShopScope = {}): (...args: RpcCallArgs<M>) => Promise<RpcMethodResult<M>> {
  const shopId = scope.shopId ? { value: scope.shopId } : useStorefrontShop()
  // The request's event as useRequestEvent() gives it, without importing it: see the note in shop.ts.
  const event = import.meta.server ? useNuxtApp().ssrContext?.event : undefined
  return async (...args) => {
    const params = args[0]
    const callInProcess = import.meta.server && event ? getSsrRpcCaller() : undefined
    if (callInProcess && event) {
      try {
        return await callInProcess(event, method, params) as RpcMethodResult<M>
      }
      catch (error) {
        // Mapped by the server as over HTTP; anything else is reported as a bare 500, never with its message.
        const problem = (error as Partial<SsrRpcFailure>).problem ?? { type: 'about:blank', title: 'Internal Server Error', status: 500 }
        throw new StorefrontRpcError(method, problem.status, problem.title, problem.detail, problem)
      }
    }
    // Typed by the method map rather than Nitro's route table, which knows only the catch-all RPC route.
    // Nuxt's global $fetch (set by the app's entry before any plugin), not the auto-import: importing it from a page
    // through the module splits the app's entry (see shop.ts).
    const fetchRpc = (globalThis as unknown as { $fetch: (url: string, options: object) => Promise<unknown> }).$fetch
    // A mutation carries an Idempotency-Key, the same on its retry: a repeat the server already applied is answered
    // with the first result instead of applying twice. Reads (get…, list…) need none.
    const headers: Record<string, string> = { 'x-shop-id': shopId.value }
    if (!READ_METHOD.test(method) && typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') {
      headers['idempotency-key'] = crypto.randomUUID()
    }
    const post = () => fetchRpc(`/api/rpc/${method}`, { method: 'POST', body: { payload: params }, headers })
    try {
      try {
        return await post() as RpcMethodResult<M>
      }
      catch (error) {
        // The session ended meanwhile (expired, or replaced by a login in another tab): the server cleared the dead
        // cookie, so one retry runs in a fresh session instead of failing the shopper's click, with the same key.
        if ((error as { data?: { code?: string } }).data?.code !== 'session-ended') throw error
        return await post() as RpcMethodResult<M>
      }
    }
    catch (error) {
      const response = error as { data?: { status?: number, title?: string, detail?: string }, statusCode?: number }
      const problem = response.data ?? {}
      throw new StorefrontRpcError(method, problem.status ?? response.statusCode ?? 500, problem.title ?? 'Error', problem.detail, problem as Record<string, unknown>)
    }
  }
}
