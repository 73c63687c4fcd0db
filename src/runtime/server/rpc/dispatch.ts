import type { H3Event } from 'h3'
import { createError } from 'h3'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { RpcDefinition } from '../../types/rpc'
import { useStorefrontRuntime } from '../utils/runtime'
import { hasHookListeners } from '../internal/hookable'
import { createRpcContext } from './context'

/** Loaders of every registered method, by name. */
export type RpcRegistry = Record<string, () => Promise<{ default: RpcDefinition }>>

const NAME = /^[A-Z]\w{0,63}$/i

/**
 * Finds a method.
 * @param registry the registered methods
 * @param name the method name from the URL
 * @returns its definition
 * @throws a 404 for an unknown method
 */
export async function findRpcMethod(registry: RpcRegistry, name: string): Promise<RpcDefinition> {
  const known = loaded.get(name)
  if (known) {
    return known
  }
  const load = NAME.test(name) && Object.hasOwn(registry, name) ? registry[name] : undefined
  if (!load) {
    throw createError({ status: 404, message: `unknown RPC method ${JSON.stringify(name.slice(0, 64))}` })
  }
  const definition = (await load()).default
  loaded.set(name, definition)
  return definition
}

// Methods are loaded on first use and kept: a registry is fixed for the life of the server.
const loaded = new Map<string, RpcDefinition>()

/**
 * A method {@link findRpcMethod} has loaded before, without waiting for a promise.
 * @param name the method name from the URL
 * @returns its definition, or undefined when it was not loaded yet (or does not exist)
 */
export function loadedRpcMethod(name: string): RpcDefinition | undefined {
  return loaded.get(name)
}

/**
 * Runs a method for a request: validates the params, loads the session once, builds the context, calls the handler,
 * saves the session, and calls the `storefront:rpc:*` hooks. Used by the HTTP route and by calls made during SSR.
 * @param event the request
 * @param name the method name
 * @param definition the method
 * @param payload the raw params
 * @returns the handler's result
 */
export async function runRpcMethod(event: H3Event, name: string, definition: RpcDefinition, payload: unknown): Promise<unknown> {
  const runtime = useStorefrontRuntime()
  const hooks = runtime.hooks
  const params = definition.input ? await validate(definition.input, payload) : payload
  const session = await runtime.engine.session(event)
  const context = createRpcContext(event, session, runtime.engine.shop(event), runtime)
  if (hasHookListeners(hooks, 'storefront:context:created')) await hooks.callHook('storefront:context:created', { context, event })
  if (hasHookListeners(hooks, 'storefront:rpc:before')) await hooks.callHook('storefront:rpc:before', { method: name, params, context })
  let result: unknown
  try {
    result = await definition.handler(params, context)
    await session.commit()
  }
  catch (error) {
    if (hasHookListeners(hooks, 'storefront:rpc:error')) await hooks.callHook('storefront:rpc:error', { method: name, error, context })
    throw error
  }
  if (hasHookListeners(hooks, 'storefront:rpc:after')) await hooks.callHook('storefront:rpc:after', { method: name, result, context })
  return result
}

async function validate(schema: StandardSchemaV1, payload: unknown): Promise<unknown> {
  const result = await schema['~standard'].validate(payload)
  if (!result.issues) {
    return result.value
  }
  const errors = result.issues.map(issue => ({ path: pathOf(issue), message: issue.message }))
  const first = errors[0]!
  throw createError({
    status: 400,
    message: first.path ? `invalid ${first.path}: ${first.message}` : `invalid payload: ${first.message}`,
    data: { errors },
  })
}

function pathOf(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? []).map(segment => String(typeof segment === 'object' ? segment.key : segment)).join('.')
}
