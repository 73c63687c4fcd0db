import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { RpcDefinition, RpcHandlerOptions, StorefrontRpcContext } from '../../types/rpc'

/**
 * Defines an RPC method, served at `/api/rpc/<file name>`. A handler with one parameter and no `input` schema gets the
 * context only; otherwise it gets `(params, context)`.
 * @param handler the method
 * @param options `method: 'GET'` to make it public (GET-able), `input` to validate params with a Standard Schema,
 *   `form: true` to serve HTML forms without JavaScript at `/api/form/<name>`
 * @returns the definition (export it as default from a file in `server/rpc/`)
 * @example
 * // server/rpc/addToWishlist.ts
 * export default defineRpcHandler(
 *   async ({ productId }, context) => ({ items: await context.wishlist.add({ productId }) }),
 *   { input: v.object({ productId: v.pipe(v.number(), v.integer(), v.minValue(1)) }) },
 * )
 */
export function defineRpcHandler<R>(handler: (context: StorefrontRpcContext) => R, options?: RpcHandlerOptions): RpcDefinition<void, Awaited<R>>
export function defineRpcHandler<S extends StandardSchemaV1, R>(handler: (params: StandardSchemaV1.InferOutput<S>, context: StorefrontRpcContext) => R, options: RpcHandlerOptions<S> & { input: S }): RpcDefinition<StandardSchemaV1.InferInput<S>, Awaited<R>>
export function defineRpcHandler<P, R>(handler: (params: P, context: StorefrontRpcContext) => R, options?: RpcHandlerOptions): RpcDefinition<P, Awaited<R>>
export function defineRpcHandler(handler: (...args: never[]) => unknown, options: RpcHandlerOptions<StandardSchemaV1 | undefined> = {}): RpcDefinition {
  const method = options.method ?? 'POST'
  if (method !== 'POST' && method !== 'GET') {
    throw new TypeError(`[storefront] defineRpcHandler: method must be 'POST' or 'GET', got ${JSON.stringify(method)}`)
  }
  const contextOnly = !options.input && handler.length < 2
  return {
    __storefrontRpc: true,
    method,
    input: options.input,
    contextOnly,
    form: options.form === true,
    handler: contextOnly
      ? (_params: unknown, context: StorefrontRpcContext) => (handler as (c: StorefrontRpcContext) => unknown)(context)
      : handler as RpcDefinition['handler'],
  }
}
