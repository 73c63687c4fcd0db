import type { H3Event } from 'h3'
import { createError, defineEventHandler, setResponseHeader, setResponseStatus } from 'h3'
import { isBearerRequest } from '../session/bearer'
import { toStoreError } from '../session/errors'
import { methods } from '#storefront/rpc-registry'
import { useStorefrontRuntime } from '../utils/runtime'
import type { RpcDefinition } from '../../types/rpc'
import type { RpcRegistry } from './dispatch'
import { findRpcMethod, loadedRpcMethod, runRpcMethod } from './dispatch'
import { requestHeader } from './headers'
import { claimKeyFor, countKeyedCall, IDEMPOTENCY_CLAIM_MS, idempotencyRecord, KeyedCallRunningError, recordResult, replayOf, TooManyKeyedCallsError } from './idempotency'
import { readQueryPayload, takeBodyPayload } from './payload'
import { idempotencyMarker } from '../store/keys'

const registry = methods as RpcRegistry
const PREFIX = '/api/rpc/'

/**
 * `/api/rpc/<name>`: POST with `{ "payload": … }`, or GET with `?payload=…` for public methods. Not an async function:
 * a call to a loaded method whose body has arrived waits on the session and nothing else, with no promise per step.
 */
export default defineEventHandler((event) => {
  const path = event.path
  const query = path.indexOf('?', PREFIX.length)
  const name = decodeName(path.slice(PREFIX.length, query === -1 ? path.length : query))
  const definition = loadedRpcMethod(name)
  return definition ? serve(event, name, definition) : findRpcMethod(registry, name).then(found => serve(event, name, found))
})

function serve(event: H3Event, name: string, definition: RpcDefinition): Promise<unknown> {
  let payload: unknown
  if (event.method === 'POST') {
    checkOrigin(event, requestHeader(event, 'origin'))
    payload = takeBodyPayload(event, useStorefrontRuntime().rpcBodyLimit)
    if (payload instanceof Promise) return payload.then(params => call(event, name, definition, params))
  }
  else if (event.method === 'GET' && definition.method === 'GET') {
    payload = readQueryPayload(event)
  }
  else {
    const allowed = definition.method === 'GET' ? 'GET, POST' : 'POST'
    setResponseHeader(event, 'allow', allowed)
    throw createError({ status: 405, message: `${event.method} is not allowed for ${name}: use ${allowed}` })
  }
  return call(event, name, definition, payload)
}

function call(event: H3Event, name: string, definition: RpcDefinition, payload: unknown): Promise<unknown> {
  // A mutating call with an Idempotency-Key: a repeat within the window answers the first result, applying nothing.
  if (event.method === 'POST' && definition.method !== 'GET' && requestHeader(event, 'idempotency-key') !== undefined) {
    return callOnce(event, name, definition, payload)
  }
  return runRpcMethod(event, name, definition, payload).then(result => answer(event, result))
}

async function callOnce(event: H3Event, name: string, definition: RpcDefinition, payload: unknown): Promise<unknown> {
  const once = await openIdempotency(event, name, definition, payload)
  if (once?.replay) {
    setResponseHeader(event, 'cache-control', 'private, no-store')
    return once.replay.result ?? ''
  }
  let result: unknown
  try {
    result = await runRpcMethod(event, name, definition, payload)
  }
  catch (error) {
    // A method that failed gives its claim up: a repeat may run it again.
    once?.release()
    throw error
  }
  // A call that left no session (a read without a cookie) has nothing to scope a record to: none is kept.
  if (once && (!once.fresh || !once.session.isNew)) {
    // A result that could not be recorded keeps the claim until it lapses: a repeat meanwhile would run the method again.
    await recordResult(once.store, once.record, once.fingerprint, result, once.maxAgeMs).catch((error: unknown) => {
      throw toStoreError('idempotency record', error)
    })
    // Recorded: a repeat finds the record from now on.
    once.release()
  }
  return answer(event, result)
}

function answer(event: H3Event, result: unknown): unknown {
  setResponseHeader(event, 'cache-control', 'private, no-store')
  if (result === undefined) {
    setResponseStatus(event, 204)
    return ''
  }
  return result
}

async function openIdempotency(event: H3Event, name: string, definition: RpcDefinition, payload: unknown) {
  const runtime = useStorefrontRuntime()
  const session = await runtime.engine.session(event)
  const keys = idempotencyRecord(event, session, name, payload)
  if (!keys) return undefined
  const shop = runtime.engine.shop(event)
  const store = await runtime.sessionsFor(shop)
  const opened = { store, session, record: keys.record, fingerprint: keys.fingerprint, fresh: keys.fresh, maxAgeMs: shop.maxAgeMs, replay: undefined as { result: unknown } | undefined, release: () => {} }
  // A method that does not record the key in its own write holds a claim while it runs, so that a repeat meanwhile
  // does not run it a second time. Only a method that records it in its write (the built-in basket and wishlist
  // writes, one write each) hands the record to the store: an app method's second basket write would find the record
  // its first one set, and be skipped.
  const claim = claimKeyFor(definition, keys.record)
  const marked = claim ? undefined : { key: keys.record, marker: idempotencyMarker(keys.fingerprint) }
  if (keys.fresh) {
    // The call's session is made now, under an id nobody else holds: nothing to read, count or claim. Its write
    // records the key (the built-in basket and wishlist writes in their own step; any method once it answered), so
    // that a repeat with the cookie it set is answered as any repeat.
    event.context.storefront!.idempotency = marked
    return opened
  }
  // The record's read (with the claim, in one step) and the session's count go out together: one round trip on Redis.
  const [read, count] = await Promise.allSettled([
    claim ? store.claimOnce(claim, keys.record, IDEMPOTENCY_CLAIM_MS) : store.readOnce(keys.record).then(record => ({ claimed: false, record })),
    countKeyedCall(store, keys.counter, shop.maxAgeMs),
  ])
  if (read.status === 'rejected') throw toStoreError('idempotency read', read.reason)
  const held = claim && read.value.claimed ? claim : undefined
  // Not awaited: the answer does not wait for it.
  if (held) opened.release = () => void store.releaseOnce(held).catch(() => {})
  // A repeat of a recorded call is answered whatever the count (no claim was taken for it); the key sent again with
  // other params is a 422.
  try {
    opened.replay = replayOf(event, read.value.record, keys.fingerprint)
  }
  catch (error) {
    opened.release()
    throw error
  }
  if (opened.replay) return opened
  if (count.status === 'rejected') {
    opened.release()
    throw toStoreError('idempotency read', count.reason)
  }
  if (claim && !held) {
    setResponseHeader(event, 'retry-after', 1)
    throw new KeyedCallRunningError()
  }
  // A new call past the session's limit is refused, so that one session cannot fill the store with records (each
  // keeps up to 64 KB for an hour).
  if (count.value.count > runtime.rpcIdempotencyLimit) {
    opened.release()
    const retryAfter = Math.max(1, Math.ceil(count.value.resetMs / 1000))
    setResponseHeader(event, 'retry-after', retryAfter)
    throw new TooManyKeyedCallsError(runtime.rpcIdempotencyLimit, retryAfter)
  }
  event.context.storefront!.idempotency = marked
  return opened
}

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
