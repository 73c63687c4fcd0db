import type { H3Event } from 'h3'

/**
 * Runs an RPC method in-process for a page request, with that request's already-loaded session (`useRpc` during
 * SSR). Nitro's server bundle and the Vue renderer's bundle share the process but not their modules, so the server
 * leaves this function on `globalThis` once at start, under a registered symbol; no per-request hook is needed.
 */
export type SsrRpcCaller = (event: H3Event, method: string, payload: unknown) => Promise<unknown>

/** What an in-process call rejects with: the RFC 9457 problem the HTTP route would have answered. */
export interface SsrRpcFailure {
  problem: { status: number, title: string, detail?: string, [extension: string]: unknown }
}

const KEY = Symbol.for('nuxt-storefront-session:ssr-rpc-caller')

/**
 * Sets the in-process caller (the server's RPC plugin does, once).
 * @param caller the caller
 */
export function setSsrRpcCaller(caller: SsrRpcCaller): void {
  (globalThis as Record<symbol, unknown>)[KEY] = caller
}

/**
 * The in-process caller, when this process runs the module's server.
 * @returns the caller, or undefined
 */
export function getSsrRpcCaller(): SsrRpcCaller | undefined {
  return (globalThis as Record<symbol, unknown>)[KEY] as SsrRpcCaller | undefined
}
