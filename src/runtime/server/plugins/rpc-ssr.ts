import type { H3Event } from 'h3'
import { defineNitroPlugin } from 'nitropack/runtime'
import { methods } from '#storefront/rpc-registry'
import { setSsrRpcCaller } from '../../shared/ssr-rpc'
import { logUnexpectedError } from '../log'
import { toProblem } from '../http/problem'
import type { RpcRegistry } from '../rpc/dispatch'
import { findRpcMethod, loadedRpcMethod, runRpcMethod } from '../rpc/dispatch'

/**
 * Lets `useRpc` call methods in-process during SSR, with the page request's already-loaded session: one session
 * load per page render, and whatever a call changes is saved with the page response.
 */
export default defineNitroPlugin(() => {
  setSsrRpcCaller(callInProcess)
})

async function callInProcess(event: H3Event, name: string, payload: unknown): Promise<unknown> {
  let result: unknown
  try {
    // Every page makes the same calls: a method loaded before is taken as it is, without a promise per call.
    result = await runRpcMethod(event, name, loadedRpcMethod(name) ?? await findRpcMethod(methods as RpcRegistry, name), payload)
  }
  catch (error) {
    // The problem the HTTP route would answer: in production an unexpected error's message stays in the server log.
    const problem = toProblem(error, !import.meta.dev)
    if (problem.status >= 500 && problem.status !== 503) logUnexpectedError(error)
    throw Object.assign(new Error(problem.detail || problem.title), { problem })
  }
  // The same shape a browser would get over HTTP.
  return result === undefined ? undefined : JSON.parse(JSON.stringify(result))
}
