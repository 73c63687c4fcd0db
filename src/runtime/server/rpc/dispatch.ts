import type { H3Event } from 'h3'
import { createError } from 'h3'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { RpcDefinition } from '../../types/rpc'
import type { StorefrontRuntime } from '../utils/runtime'
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
  // Looked at once per call: with no hook listening (the usual case), the call waits on nothing else than the
  // validation, the session load, the handler when it returns a promise, and the save. With one listening, each hook is
  // checked again at its turn (one may be added or removed meanwhile).
  const observed = rpcHooksListen(hooks)
  const params = definition.input ? await validate(definition.input, payload) : payload
  const session = await runtime.engine.session(event)
  const context = createRpcContext(event, session, runtime.engine.shop(event), runtime)
  if (observed && hasHookListeners(hooks, 'storefront:context:created')) await hooks.callHook('storefront:context:created', { context, event })
  if (observed && hasHookListeners(hooks, 'storefront:rpc:before')) await hooks.callHook('storefront:rpc:before', { method: name, params, context })
  let result: unknown
  try {
    const returned = definition.handler(params, context)
    result = isThenable(returned) ? await returned : returned
    await session.commit()
  }
  catch (error) {
    if (observed && hasHookListeners(hooks, 'storefront:rpc:error')) await hooks.callHook('storefront:rpc:error', { method: name, error, context })
    throw error
  }
  if (observed && hasHookListeners(hooks, 'storefront:rpc:after')) await hooks.callHook('storefront:rpc:after', { method: name, result, context })
  return result
}

const RPC_HOOKS = ['storefront:context:created', 'storefront:rpc:before', 'storefront:rpc:error', 'storefront:rpc:after'] as const

function rpcHooksListen(hooks: StorefrontRuntime['hooks']): boolean {
  for (const hook of RPC_HOOKS) {
    if (hasHookListeners(hooks, hook)) return true
  }
  return false
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
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
