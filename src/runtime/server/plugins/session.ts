import { getResponseStatus } from 'h3'
import type { H3Event } from 'h3'
import { prefixStorage } from 'unstorage'
import { defineNitroPlugin, getRouteRules, useRuntimeConfig, useStorage } from 'nitropack/runtime'
// Route rules of a path other than the request's (the page behind Nuxt's error render): not in the public entry.
import { getRouteRulesForPath } from 'nitropack/runtime/internal/route-rules'
import type { ModuleOptions } from '../../types'
import type { CommerceOwner, StorefrontCommerceAdapters } from '../../types/commerce'
import { createDefaultAdapters, mergeMarkerTtlMs, prefetchLists } from '../commerce/adapters'
import { createCommerceStore } from '../store/commerce'
import type { CommerceStore } from '../store/commerce'
import { logger, logRateLimited } from '../log'
import { sendProblemBody } from '../http/problem'
import { defaultOptions, resolveShops, StorefrontConfigError } from '../session/config'
import { StoreUnavailableError } from '../session/errors'
import { storageOptionPath } from '../session/options'
import type { ResolvedShop, ResolvedShops } from '../session/config'
import { createSessionDriver } from '../store/drivers'
import type { DriverLoader } from '../store/drivers'
import { createSessionEngine } from '../session/engine'
import type { RedisClient } from '../store/redis-client'
import { describeFatalRedisError } from '../store/redis-health'
import { monitorRedis } from '../store/redis-monitor'
import { createSessionStore } from '../store/session'
import type { SessionStore } from '../store/session'
import { walkSourceOf } from '../operator/operations'
import type { WalkSource } from '../operator/walk'
import { instrumentCommerceStore, instrumentSessionStore } from '../telemetry'
import { setStorefrontRuntime } from '../utils/runtime'
import { loaders as driverLoaders } from '#storefront/session-drivers'
import { markPersonal } from '../http/cache-headers'
import { pagePrefixMismatches, publicShopConfig } from '../session/public-config'
import { requestHostName } from '../session/shop'
import { errorRenderPagePath } from '../internal/h3'
import { checkPageSession } from '../middleware/store-outage'
import { setSsrPageSource } from '../../shared/ssr-page'
import type { PublicShop } from '../../shared/shop'

const SKIPPED_PATHS = /^\/(?:_nuxt\/|__nuxt|favicon\.ico$)/

interface Backend { sessions: SessionStore, commerce: CommerceStore, source: WalkSource }

export default defineNitroPlugin((nitroApp) => {
  const production = !import.meta.dev
  // Through unknown: the generated runtime config types hold the per-shop keys declared for env overrides as ''.
  const config = useRuntimeConfig().storefront as unknown as ModuleOptions
  // Every option is checked here, once: one StorefrontConfigError lists each invalid option with the variable that
  // sets it, and the server refuses to start (in production a missing or short secret is one of them), instead of
  // answering every request that touches a session with a 500.
  const shops = resolveOrReport(config, production)
  const commerce = { ...defaultOptions.commerce, ...config.commerce }
  const rpc = { ...defaultOptions.rpc, ...config.rpc }
  const loginLimit = { ...defaultOptions.loginLimit, ...config.loginLimit }

  // Stores are created once every plugin ran, so that the app's `storefront:storage` hook can choose the store.
  const backends = new Map<string, Promise<Backend>>()
  // The same once started: what a request's first tick can use without waiting.
  const startedBackends = new Map<string, Backend>()
  function backendFor(shop: ResolvedShop): Promise<Backend> {
    let backend = backends.get(shop.storageId)
    if (!backend) {
      backend = (async () => {
        const mount = shop.storageId === 'default' ? 'storefront:session' : `storefront:session-${shop.id}`
        const storage = { ...shop.storage }
        await nitroApp.hooks.callHook('storefront:storage', storage, { shopId: shop.id, storageId: shop.storageId })
        const source = { path: storageOptionPath(config, shop.id), hook: storage.driver !== shop.storage.driver }
        const { driver, nativeTtl } = await createSessionDriver(storage, shop.storeTimeoutMs, driverLoaders as Record<string, DriverLoader>, source)
        if (production) warnAboutGenericStore(shop.id, storage.driver || 'memory', driver)
        useStorage().mount(mount, driver)
        const client = driver.getInstance?.()
        watchRedisErrors(client)
        if (driver.name === 'redis' && client) {
          monitorRedis(client as RedisClient, { label: `shop ${shop.id}`, timeoutMs: shop.storeTimeoutMs })
        }
        const scoped = prefixStorage(useStorage(), mount)
        const durable = { waitForReplicas: Number(storage.waitForReplicas ?? 0) || 0, timeoutMs: shop.storeTimeoutMs }
        const sessions = createSessionStore(scoped, driver, { nativeTtl, sweepIntervalMs: Math.min(shop.maxAgeMs, 600_000), ...durable })
        return {
          sessions: instrumentSessionStore(sessions, shop.id),
          // The commerce store runs on the same backend as the session store (storeBackend decides both).
          commerce: instrumentCommerceStore(createCommerceStore(scoped, driver, durable), shop.id, sessions.kind === 'redis'),
          source: walkSourceOf(scoped, driver, shop.storeTimeoutMs),
        }
      })()
      // In production a store that cannot be created (a driver unknown or not installed) stays so until the server
      // restarts: the problem is printed once, naming the option and its variable, and each request of the shop
      // answers 503 without a stack trace. In development the next request tries again (the code may have changed).
      backend = backend.catch((error: unknown) => {
        if (production && error instanceof StorefrontConfigError) {
          console.error(`StorefrontConfigError: the session store of shop ${shop.id} cannot start: ${error.message}`)
          throw new StoreUnavailableError('store start', { cause: error })
        }
        backends.delete(shop.storageId)
        throw error
      })
      backends.set(shop.storageId, backend)
      backend.then(started => startedBackends.set(shop.storageId, started), () => {})
    }
    return backend
  }
  const shopById = (shopId: string) => shops.byId.get(shopId)!

  let adapters: Promise<StorefrontCommerceAdapters> | undefined
  let adaptersInUse: StorefrontCommerceAdapters | undefined
  const engine = createSessionEngine({
    shops,
    storeFor: async shop => (await backendFor(shop)).sessions,
    skip: isSkipped,
    hooks: {
      created: (session, event) => nitroApp.hooks.callHook('storefront:session:created', { session, event }),
      destroyed: (info, event) => nitroApp.hooks.callHook('storefront:session:destroyed', { ...info, event }),
      // A page's session: its owner's basket and wishlist are read in the session's round trip.
      sessionRead: (event, shop, info, hash) => {
        if (!event.context.storefront?.page) return
        const owner: CommerceOwner = info.kind === 'user' ? { kind: 'user', shopId: shop.id, userId: info.userId } : { kind: 'guest', shopId: shop.id, sessionHash: hash }
        prefetchLists(adaptersInUse, startedBackends.get(shop.storageId)?.commerce, event, owner)
      },
    },
  })
  // The app's render follows the engine: the shop it chose for the request, the shop settings of this start (the
  // payload carries them to the browser), and whether it skipped the session (a shared, cached render).
  setSsrPageSource({
    publicConfig: publicShopConfig(shops),
    shopOf: (event) => {
      try {
        return engine.shop(event).id
      }
      catch {
        return undefined
      }
    },
    hostOf: event => requestHostName(event, shops.trustProxy),
    skips: isSkipped,
  })
  warnAboutPagePrefixes(shops, (useRuntimeConfig().public.storefront as { shops?: Record<string, PublicShop> } | undefined)?.shops ?? {})
  setStorefrontRuntime({
    engine,
    sessionsFor: async shop => (await backendFor(shop)).sessions,
    commerceFor: async shopId => (await backendFor(shopById(shopId))).commerce,
    operatorTargets: async () => new Map(await Promise.all([...shops.byId.values()].map(async (shop) => {
      const { sessions, source } = await backendFor(shop)
      return [shop.id, { shop, sessions, source }] as const
    }))),
    adapters: () => (adapters ??= (async () => {
      const defaults = createDefaultAdapters(async shopId => (await backendFor(shopById(shopId))).commerce)
      await nitroApp.hooks.callHook('storefront:commerce', defaults)
      adaptersInUse = defaults
      return defaults
    })()),
    limits: shop => ({
      maxQuantityPerLine: Number(commerce.maxQuantityPerLine),
      maxBasketLines: Number(commerce.maxBasketLines),
      maxWishlistItems: Number(commerce.maxWishlistItems),
      mergePolicy: commerce.mergePolicy as 'sum' | 'max' | 'keep-user',
      dataTtlMs: Number(commerce.dataTtl) * 1000,
      guestTtlMs: shop.maxAgeMs,
      mergeMarkerTtlMs: mergeMarkerTtlMs(shop, Number(commerce.dataTtl) * 1000),
    }),
    rpcBodyLimit: Number(rpc.bodyLimit),
    rpcIdempotencyLimit: Number(rpc.idempotencyLimit),
    allowedOrigins: [rpc.allowedOrigins ?? []].flat().filter(Boolean).map(String),
    hooks: nitroApp.hooks,
    production,
    storeUnavailable: config.storeUnavailable === 'anonymous' ? 'anonymous' : 'error',
    loginLimit: {
      perAccount: Number(loginLimit.perAccount),
      perAddress: Number(loginLimit.perAddress),
      window: Number(loginLimit.window),
    },
  })

  // Create every store right after start (every plugin has registered its hooks by then) instead of on the first request.
  setTimeout(() => startStores([...shops.byId.values()], backendFor), 0)

  // Every page Nuxt renders, whatever its `Accept`: a store outage is a 503 (never a guest's page), an unknown shop a
  // 400. A browser's navigation was checked by the store-outage middleware already (the session is loaded once).
  nitroApp.hooks.hook('render:before', ({ event }) => checkPageSession(event))

  nitroApp.hooks.hook('beforeResponse', (event, response) => {
    if (!event.context.storefront?.session) {
      return
    }
    // A failed request saves nothing: its changes are dropped, never half-applied. Its answer (a logged-in
    // shopper's 404 page) is marked as any other.
    if (getResponseStatus(event) >= 400 || response.body instanceof Error || event.context.storefront.discard) {
      markPersonal(event)
      return
    }
    return engine.commit(event).then(
      () => markPersonal(event),
      (error) => {
        response.body = sendProblemBody(event, error, production)
      },
    )
  })
})

// Nitro runs plugins synchronously and listens right after them, so a store, which needs the app's async
// storefront:storage hook and may need a driver import, is created once the server listens. A store that cannot be
// created is reported by backendFor; a Redis that is down is no such error: its store connects once Redis is up.
async function startStores(shops: ResolvedShop[], backendFor: (shop: ResolvedShop) => Promise<unknown>) {
  const results = await Promise.allSettled(shops.map(shop => backendFor(shop)))
  results.forEach((result, index) => {
    if (result.status === 'fulfilled' || result.reason instanceof StoreUnavailableError) return
    logger.error(`the session store of shop ${shops[index]!.id} did not start:`, result.reason)
  })
}

// Only Redis has the scripts that make every session step atomic across instances; unstorage has no compare-and-set.
function warnAboutGenericStore(shopId: string, name: unknown, driver: { name?: string }) {
  if (name === 'memory') {
    logger.warn(`shop ${shopId} keeps sessions in the embedded memory store, which is for development only: set NUXT_STOREFRONT_STORAGE_SESSION_DRIVER=redis and NUXT_STOREFRONT_STORAGE_SESSION_URL`)
  }
  else if (driver.name !== 'redis') {
    logger.warn(`shop ${shopId} keeps sessions on the ${JSON.stringify(typeof name === 'string' ? name : driver.name ?? 'custom')} driver through the generic store, which is safe on one server instance only (unstorage has no compare-and-set): run several instances on Redis (NUXT_STOREFRONT_STORAGE_SESSION_DRIVER=redis)`)
  }
}

// Page routes under a path shop's prefix are made at build time (setup/pages.ts): a prefix from the environment alone
// has no pages, and the server cannot make them.
function warnAboutPagePrefixes(shops: ResolvedShops, built: Record<string, PublicShop>) {
  const mismatches = pagePrefixMismatches(shops, built)
  if (mismatches.length === 0) return
  logger.warn(`${mismatches.join('; ')}: pages under a path prefix are made at build time, so set the shops' paths in nuxt.config and build again (an environment variable changes the server's shop choice, not the pages)`)
}

// The dev server shows a failed plugin's error on every page but not in the terminal, so in development it is printed
// there as well; in production the error ends the process, which prints it.
function resolveOrReport(config: ModuleOptions, production: boolean) {
  try {
    return resolveShops(config, { production })
  }
  catch (error) {
    if (!production && error instanceof StorefrontConfigError) console.error(error.message)
    throw error
  }
}

function isSkipped(event: H3Event): boolean {
  // Nuxt's render of a page's error page (a logged-in shopper's 404) shows the shopper as the page would have, unless
  // the page's route is a shared, cached one.
  const failedPage = errorRenderPagePath(event)
  if (failedPage !== undefined) {
    // A missing build asset (an old chunk after a deploy) renders the 404 page without the session, as assets do.
    const path = failedPage.split('?', 1)[0]!
    return SKIPPED_PATHS.test(path) || isShared(getRouteRulesForPath(path))
  }
  if (SKIPPED_PATHS.test(event.path)) {
    return true
  }
  return isShared(getRouteRules(event))
}

function isShared(rules: { cache?: unknown, isr?: unknown, swr?: unknown }): boolean {
  return Boolean(rules.cache || rules.isr || rules.swr)
}

const watched = new WeakSet<object>()

function watchRedisErrors(client: unknown) {
  const emitter = client as { on?: (name: string, listener: (error: Error) => void) => void } | undefined
  if (!emitter?.on || watched.has(emitter)) {
    return
  }
  watched.add(emitter)
  // ioredis reports every failed reconnect; one line per 10 s is enough during an outage. Fatal errors (credentials,
  // ACL, certificate) are logged once, with what to fix, by the store's monitor.
  emitter.on('error', (error) => {
    if (describeFatalRedisError(error)) return
    logRateLimited('store connection', `session store connection error: ${error.message}`, 'error')
  })
}
