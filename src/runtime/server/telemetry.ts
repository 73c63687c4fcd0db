import { createNoopMeter, metrics, ProxyTracerProvider, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { Attributes, Counter, Histogram, MeterProvider, Span, SpanOptions } from '@opentelemetry/api'
import type { MergeReport } from '../types/commerce'
import type { SessionStore } from './store/session'

// Metrics and traces through @opentelemetry/api, all of them defined here. The API does nothing until the app
// registers an SDK; the store is wrapped only when one is registered by the time the store opens, so that by default
// a request costs what it cost without OpenTelemetry.

const SCOPE = 'nuxt-storefront-session'

interface Instruments {
  loads: Counter
  creations: Counter
  destroys: Counter
  logins: Counter
  merges: Counter
  storeErrors: Counter
  unavailable: Counter
  storeDuration: Histogram
}

let instruments: { provider: MeterProvider, made: Instruments } | undefined

// Instruments are made at first use, after the app had its chance to register a meter provider (a meter taken from
// the API before that stays a no-op), and made again should another provider be registered.
function use(): Instruments {
  const provider = metrics.getMeterProvider()
  if (instruments?.provider === provider) return instruments.made
  const meter = provider.getMeter(SCOPE)
  const made: Instruments = {
    loads: meter.createCounter('storefront.session.loads', { description: 'Sessions read from the store' }),
    creations: meter.createCounter('storefront.session.creations', { description: 'Sessions created in the store' }),
    destroys: meter.createCounter('storefront.session.destroys', { description: 'Sessions ended in the store: logout, destroy, revocation, the end of a user\'s sessions' }),
    logins: meter.createCounter('storefront.logins', { description: 'Successful logins' }),
    merges: meter.createCounter('storefront.merges', { description: 'Guest basket and wishlist merges at login, by outcome (merged, capped, nothing)' }),
    storeErrors: meter.createCounter('storefront.store.errors', { description: 'Store operations that failed or timed out, by operation' }),
    unavailable: meter.createCounter('storefront.responses.unavailable', { description: 'Responses answered 503 (the store failed or timed out)' }),
    storeDuration: meter.createHistogram('storefront.store.duration', {
      description: 'Duration of store operations, by operation',
      unit: 's',
      // The SDK's default buckets are for milliseconds; a store round trip takes from a fraction of one to seconds.
      advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    }),
  }
  instruments = { provider, made }
  return made
}

/**
 * Whether the app registered an OpenTelemetry SDK: a meter provider, or a tracer provider behind the API's proxy.
 * @returns false when both are the API's no-ops
 */
export function isTelemetryEnabled(): boolean {
  if (metrics.getMeter(SCOPE) !== createNoopMeter()) return true
  const provider = trace.getTracerProvider()
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(SCOPE) !== undefined
}

type MergeOutcome = 'merged' | 'capped' | 'nothing'
// Attribute objects are made once per shop, never per call.
const shopAttributes = new Map<string, { shop: Attributes, merge: Record<MergeOutcome, Attributes> }>()
function attributesOf(shopId: string) {
  let attributes = shopAttributes.get(shopId)
  if (!attributes) {
    const shop = { 'storefront.shop': shopId }
    const outcome = (name: MergeOutcome) => ({ ...shop, 'storefront.merge.outcome': name })
    attributes = { shop, merge: { merged: outcome('merged'), capped: outcome('capped'), nothing: outcome('nothing') } }
    shopAttributes.set(shopId, attributes)
  }
  return attributes
}

/**
 * Counts a login and its merge.
 * @param shopId the shop
 * @param report what the merge did
 */
export function recordLogin(shopId: string, report: MergeReport): void {
  const { logins, merges } = use()
  const attributes = attributesOf(shopId)
  logins.add(1, attributes.shop)
  merges.add(1, attributes.merge[!report.merged ? 'nothing' : report.linesCapped + report.linesDropped > 0 ? 'capped' : 'merged'])
}

/** Counts a response answered 503. */
export function recordUnavailable(): void {
  use().unavailable.add(1)
}

type Operation = Exclude<keyof SessionStore, 'kind' | 'timesOutItself' | 'dispose'>
// Every store operation, checked by the compiler: a new one added to SessionStore must be listed here to compile.
const OPERATION_SET: Record<Operation, true> = {
  read: true, readWithUser: true, writeUser: true, create: true, update: true, remove: true, listUserSessions: true,
  removeUserSessions: true, countAttempts: true, returnAttempts: true, readOnce: true, writeOnce: true, claimOnce: true, releaseOnce: true,
}
const OPERATIONS = Object.keys(OPERATION_SET) as Operation[]

/**
 * Wraps a session store so that each operation (one store round trip) gets a span, a child of the active span when
 * there is one, and its duration and failures are recorded, with session loads, creations and destroys. Without an
 * SDK registered the store is returned as it is.
 * @param store the store
 * @param shopId the shop it serves first (the attributes name it); shops sharing a store share its metrics
 * @returns the instrumented store
 */
export function instrumentSessionStore(store: SessionStore, shopId: string): SessionStore {
  return instrumentOperations(store, OPERATIONS, shopId, store.kind === 'redis' ? 'redis' : 'unstorage', countOutcome)
}

/**
 * Wraps the basket and wishlist store like the session store: a span, the duration and failures per operation (a read,
 * a write, a login's claim and merge), under the same `storefront.store` names and instruments.
 * @param store the commerce store
 * @param shopId the shop it serves first
 * @param redis whether it runs on Redis
 * @returns the instrumented store
 */
export function instrumentCommerceStore<T extends object>(store: T, shopId: string, redis: boolean): T {
  const operations = Object.keys(store).filter(key => typeof (store as Record<string, unknown>)[key] === 'function')
  return instrumentOperations(store, operations as (keyof T)[], shopId, redis ? 'redis' : 'unstorage')
}

function instrumentOperations<T extends object>(store: T, operations: (keyof T)[], shopId: string, system: string, onResult?: (operation: string, result: unknown, shop: Attributes) => void): T {
  if (!isTelemetryEnabled()) return store
  const tracer = trace.getTracer(SCOPE)
  const { shop } = attributesOf(shopId)
  const wrapped = { ...store }
  for (const operation of operations) {
    const name = String(operation)
    const attributes: Attributes = { ...shop, 'storefront.operation': name }
    const spanOptions: SpanOptions = { kind: SpanKind.CLIENT, attributes: { ...attributes, 'db.system': system } }
    const original = store[operation] as (...args: unknown[]) => Promise<unknown>
    ;(wrapped as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const span = tracer.startSpan(`storefront.store ${name}`, spanOptions)
      const started = performance.now()
      let pending: Promise<unknown>
      try {
        pending = original.apply(store, args)
      }
      catch (error) {
        // A store may fail before sending anything (not connected): the same outcome as a rejection.
        finish(span, started, attributes, error)
        throw error
      }
      return pending.then(
        (result) => {
          finish(span, started, attributes, undefined)
          onResult?.(name, result, shop)
          return result
        },
        (error: unknown) => {
          finish(span, started, attributes, error)
          throw error
        },
      )
    }
  }
  return wrapped

  function finish(span: Span, started: number, attributes: Attributes, error: unknown) {
    const { storeDuration, storeErrors } = use()
    storeDuration.record((performance.now() - started) / 1000, attributes)
    if (error !== undefined) {
      storeErrors.add(1, attributes)
      span.recordException(error as Error)
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message })
    }
    span.end()
  }
}

function countOutcome(operation: string, result: unknown, shop: Attributes) {
  const { loads, creations, destroys } = use()
  if (operation === 'read' || operation === 'readWithUser') loads.add(1, shop)
  else if (operation === 'create' && result === true) creations.add(1, shop)
  else if (operation === 'remove') destroys.add(1, shop)
  else if (operation === 'removeUserSessions' && typeof result === 'number' && result > 0) destroys.add(result, shop)
}
