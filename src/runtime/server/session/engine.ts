import type { H3Event } from 'h3'
import type { ResolvedShop, ResolvedShops } from './config'
import { selectShop } from './shop'
import type { EngineSession, SessionHooks } from './session'
import { openSession } from './session'
import type { SessionStore } from '../store/session'
import type { OwnerLists } from '../store/commerce'

/** What the engine keeps on `event.context.storefront`. */
export interface StorefrontEventContext {
  shop?: ResolvedShop
  session?: Promise<EngineSession>
  /** The session once it has loaded. */
  loaded?: EngineSession
  /** Set when the request failed although its response is not an error (a form post redirected back): nothing is saved. */
  discard?: boolean
  /** Set when the store was out and the page renders without the session (`storeUnavailable: 'anonymous'`). */
  unavailable?: boolean
  /** The record of this mutating call's `Idempotency-Key` and its marker: commerce writes set it in their own step. */
  idempotency?: { key: string, marker: string }
  /** The login attempts `limitLoginAttempts` counted in this request: a login that succeeds gives them back. */
  loginAttempts?: { store: SessionStore, keys: string[] }[]
  /** Set on a page request before its session loads: the page's basket and wishlist are read with its session. */
  page?: boolean
  /** The owner's basket and wishlist read with the page's session (`key`: the basket key); dropped by any list write. */
  lists?: { key: string, read: Promise<OwnerLists> }
}

/** Options of {@link createSessionEngine}. */
export interface SessionEngineOptions {
  shops: ResolvedShops
  /** The store of a shop; called once per shop and memoised. */
  storeFor: (shop: ResolvedShop) => SessionStore | Promise<SessionStore>
  hooks?: SessionHooks
  /** Requests that get a detached session: no cookie read, no store access, nothing saved. */
  skip?: (event: H3Event) => boolean
}

/** The session engine: shop resolution, loading once per request, and the save at the end. */
export interface SessionEngine {
  readonly shops: ResolvedShops
  /** The shop of a request (memoised). */
  shop: (event: H3Event) => ResolvedShop
  /** The store of a shop. */
  store: (shop: ResolvedShop) => Promise<SessionStore>
  /** The session of a request, loaded at most once and shared by every caller. */
  session: (event: H3Event) => Promise<EngineSession>
  /** Saves the request's session if it was loaded; call before the response is sent. */
  commit: (event: H3Event) => Promise<void>
}

declare module 'h3' {
  interface H3EventContext {
    storefront?: StorefrontEventContext
  }
}

/**
 * Creates the session engine. It depends on h3 and unstorage only, so a bare h3 app can use it.
 * @param options shops, store factory and hooks
 * @returns the engine
 * @example
 * const engine = createSessionEngine({ shops: resolveShops(options, { production: true }), storeFor: () => store })
 * const app = createApp({ onBeforeResponse: event => engine.commit(event) })
 * app.use(eventHandler(async event => (await engine.session(event)).get('user')))
 */
export function createSessionEngine(options: SessionEngineOptions): SessionEngine {
  const stores = new Map<string, Promise<SessionStore>>()
  // Stores that finished initialising: a request's load starts at once, with no extra promise.
  const ready = new Map<string, SessionStore>()
  const hooks = options.hooks ?? {}
  const store = (shop: ResolvedShop) => {
    let pending = stores.get(shop.storageId)
    if (!pending) {
      pending = Promise.resolve(options.storeFor(shop))
      pending.then(
        resolved => ready.set(shop.storageId, resolved),
        // A store that failed to initialise is retried on the next request instead of failing forever.
        () => stores.delete(shop.storageId),
      )
      stores.set(shop.storageId, pending)
    }
    return pending
  }
  const context = storefrontContext
  const shop = (event: H3Event) => (context(event).shop ??= selectShop(event, options.shops))
  const skip = options.skip

  return {
    shops: options.shops,
    shop,
    store,
    session(event) {
      const ctx = context(event)
      if (ctx.session) {
        return ctx.session
      }
      const requestShop = (ctx.shop ??= selectShop(event, options.shops))
      const detached = skip ? skip(event) : false
      const resolved = ready.get(requestShop.storageId)
      if (resolved) {
        // openSession takes a failed load off the context itself.
        return (ctx.session = openSession(event, requestShop, resolved, hooks, detached, ctx))
      }
      const loading = store(requestShop).then(s => openSession(event, requestShop, s, hooks, detached, ctx))
      ctx.session = loading
      // Forget a failed load so that the error handler (or a retry) can load again.
      loading.catch(() => {
        if (ctx.session === loading) ctx.session = undefined
      })
      return loading
    },
    commit(event) {
      const ctx = event.context.storefront
      if (ctx?.loaded) return ctx.loaded.commit()
      return ctx?.session ? ctx.session.then(commitSession) : RESOLVED
    },
  }
}

// Every property set from the start: the context keeps one shape from request to request.
const newContext = (): StorefrontEventContext => ({ shop: undefined, session: undefined, loaded: undefined, page: undefined, lists: undefined })

/**
 * The engine's context of a request, made on first use.
 * @param event the request
 * @returns its context
 */
export function storefrontContext(event: H3Event): StorefrontEventContext {
  return (event.context.storefront ??= newContext())
}

const RESOLVED: Promise<void> = Promise.resolve()
const commitSession = (session: EngineSession) => session.commit()
