import type { H3Event } from 'h3'
import { defineNitroPlugin } from 'nitropack/runtime'
import { methods } from '#storefront/rpc-registry'
import { setSsrRpcCaller } from '../../shared/ssr-rpc'
import type { RpcRegistry } from '../rpc/dispatch'
import { findRpcMethod, runRpcMethod } from '../rpc/dispatch'

/**
 * Lets `useRpc` call methods in-process during SSR, with the page request's already-loaded session: one session
 * load per page render, and whatever a call changes is saved with the page response.
 */
export default defineNitroPlugin(() => {
  setSsrRpcCaller(callInProcess)
})

async function callInProcess(event: H3Event, name: string, payload: unknown): Promise<unknown> {
  const result = await runRpcMethod(event, name, await findRpcMethod(methods as RpcRegistry, name), payload)
  // The same shape a browser would get over HTTP.
  return result === undefined ? undefined : JSON.parse(JSON.stringify(result))
}
