import { createError, defineEventHandler, setResponseHeader, setResponseStatus } from 'h3'
import type { H3Event } from 'h3'
import { isBearerRequest } from '../session/bearer'
import { methods } from '#storefront/rpc-registry'
import { useStorefrontRuntime } from '../utils/runtime'
import type { RpcRegistry } from './dispatch'
import { findRpcMethod, loadedRpcMethod, runRpcMethod } from './dispatch'
import { requestHeader } from './headers'
import { readBodyPayload, readQueryPayload } from './payload'

const registry = methods as RpcRegistry
const PREFIX = '/api/rpc/'

/** `/api/rpc/<name>`: POST with `{ "payload": … }`, or GET with `?payload=…` for public methods. */
export default defineEventHandler(async (event) => {
  const path = event.path
  const query = path.indexOf('?', PREFIX.length)
  const name = decodeName(path.slice(PREFIX.length, query === -1 ? path.length : query))
  const definition = loadedRpcMethod(name) ?? await findRpcMethod(registry, name)
  const allowed = definition.method === 'GET' ? 'GET, POST' : 'POST'
  let payload: unknown
  if (event.method === 'POST') {
    checkOrigin(event, requestHeader(event, 'origin'))
    payload = await readBodyPayload(event, useStorefrontRuntime().rpcBodyLimit)
  }
  else if (event.method === 'GET' && definition.method === 'GET') {
    payload = readQueryPayload(event)
  }
  else {
    setResponseHeader(event, 'allow', allowed)
    throw createError({ status: 405, message: `${event.method} is not allowed for ${name}: use ${allowed}` })
  }
  const result = await runRpcMethod(event, name, definition, payload)
  setResponseHeader(event, 'cache-control', 'private, no-store')
  if (result === undefined) {
    setResponseStatus(event, 204)
    return ''
  }
  return result
})

// The Origin check guards cookie-authenticated calls against cross-site requests; a bearer request carries its
// credential itself (a browser never adds it to a cross-site request), so it is not cookie-authenticated and passes.
function checkOrigin(event: H3Event, origin: string | undefined) {
  const { allowedOrigins, engine } = useStorefrontRuntime()
  if (origin && allowedOrigins.length > 0 && !allowedOrigins.includes(origin) && !isBearerRequest(event, engine.shop(event))) {
    throw createError({ status: 403, message: `origin ${JSON.stringify(origin.slice(0, 128))} may not call RPC methods` })
  }
}

// A name with a malformed escape names no method: findRpcMethod answers it with a 404.
function decodeName(raw: string): string {
  if (!raw.includes('%')) {
    return raw
  }
  try {
    return decodeURIComponent(raw)
  }
  catch {
    return raw
  }
}
