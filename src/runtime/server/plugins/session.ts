import { getResponseStatus } from 'h3'
import type { H3Event } from 'h3'
import { prefixStorage } from 'unstorage'
import { defineNitroPlugin, getRouteRules, useRuntimeConfig, useStorage } from 'nitropack/runtime'
import type { ModuleOptions } from '../../types'
import { resolveShops } from '../session/config'
import type { ResolvedShop } from '../session/config'
import { createSessionDriver } from '../session/drivers'
import { createSessionEngine } from '../session/engine'
import { createSessionStore } from '../session/store'
import { sendProblemBody } from '../problem'
import { setStorefrontEngine } from '../utils/engine'

const SKIPPED_PATHS = /^\/(?:_nuxt\/|__nuxt|favicon\.ico$)/

export default defineNitroPlugin((nitroApp) => {
  const production = !import.meta.dev
  const config = useRuntimeConfig().storefront as ModuleOptions
  // Throws on a missing or short secret in production: the server refuses to start.
  const shops = resolveShops(config, { production })

  for (const shop of shops.byId.values()) {
    if (production && (shop.storage.driver ?? 'memory') === 'memory') {
      console.warn(`[storefront] shop ${shop.id} keeps sessions in the embedded memory store, which is for development only: set NUXT_STOREFRONT_STORAGE_SESSION_DRIVER=redis and NUXT_STOREFRONT_STORAGE_SESSION_URL`)
    }
  }

  // The store is created on first use, after every plugin ran, so that apps may adjust runtime config at start.
  async function storeFor(shop: ResolvedShop) {
    const mount = shop.storageId === 'default' ? 'storefront:session' : `storefront:session-${shop.id}`
    const { driver, nativeTtl } = await createSessionDriver(shop.storage, shop.storeTimeoutMs)
    const storage = useStorage()
    storage.mount(mount, driver)
    watchRedisErrors(driver.getInstance?.())
    return createSessionStore(prefixStorage(storage, mount), driver, { nativeTtl, sweepIntervalMs: Math.min(shop.maxAgeMs, 600_000) })
  }

  const engine = createSessionEngine({
    shops,
    storeFor,
    skip: isSkipped,
    hooks: {
      created: (session, event) => nitroApp.hooks.callHook('storefront:session:created', { session, event }),
      destroyed: (info, event) => nitroApp.hooks.callHook('storefront:session:destroyed', { ...info, event }),
    },
  })
  setStorefrontEngine(engine)

  nitroApp.hooks.hook('beforeResponse', async (event, response) => {
    if (!event.context.storefront?.session) {
      return
    }
    // A failed request saves nothing: its changes are dropped, never half-applied.
    if (getResponseStatus(event) >= 400 || response.body instanceof Error) {
      return
    }
    try {
      await engine.commit(event)
    }
    catch (error) {
      response.body = sendProblemBody(event, error, production)
    }
  })
})

function isSkipped(event: H3Event): boolean {
  if (SKIPPED_PATHS.test(event.path)) {
    return true
  }
  const rules = getRouteRules(event) as { cache?: unknown, isr?: unknown, swr?: unknown }
  return Boolean(rules.cache || rules.isr || rules.swr)
}

const watched = new WeakSet<object>()
let lastLogged = 0

function watchRedisErrors(client: unknown) {
  const emitter = client as { on?: (name: string, listener: (error: Error) => void) => void } | undefined
  if (!emitter?.on || watched.has(emitter)) {
    return
  }
  watched.add(emitter)
  // ioredis reports every failed reconnect; one line per 10 s is enough during an outage.
  emitter.on('error', (error) => {
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now()
      console.error(`[storefront] session store connection error: ${error.message}`)
    }
  })
}
