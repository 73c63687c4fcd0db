import { toValue } from 'vue'
import type { MaybeRefOrGetter } from 'vue'
import type { AsyncData, AsyncDataOptions, NuxtError } from '#app'
import { useAsyncData } from '#imports'
import { useRpcCall } from './rpc'
import type { RpcMethodName, RpcMethodResult, RpcMethodParams } from './rpc'

// Apart from rpc.ts, so that an app that never calls useRpc does not ship Nuxt's useAsyncData for it: the plugin and
// useUser, useBasket and useWishlist import rpc.ts.

/**
 * Calls an RPC method through `useAsyncData`: during SSR in-process (no extra session load), then hydrated.
 * @param method the method name
 * @param params its params; a ref or getter is watched
 * @param options useAsyncData options (`key` defaults to the method and params)
 * @returns the async data
 * @example
 * const { data } = await useRpc('getBasket')
 */
export function useRpc<M extends RpcMethodName>(
  method: M,
  params?: MaybeRefOrGetter<RpcMethodParams<M>>,
  options: AsyncDataOptions<RpcMethodResult<M>> & { key?: string } = {},
): AsyncData<RpcMethodResult<M> | undefined, NuxtError | undefined> {
  const call = useRpcCall(method) as (params?: unknown) => Promise<RpcMethodResult<M>>
  const { key, ...asyncOptions } = options
  const watchSource = typeof params === 'function' || (params && typeof params === 'object' && '__v_isRef' in params) ? [() => toValue(params)] : undefined
  return useAsyncData(
    key ?? (() => `storefront-rpc:${method}:${JSON.stringify(toValue(params) ?? null)}`),
    () => call(toValue(params)),
    { watch: watchSource, ...asyncOptions },
  ) as AsyncData<RpcMethodResult<M> | undefined, NuxtError | undefined>
}
