import { createStorage } from 'unstorage'
import type { ModuleOptions } from '../../types'
import { resolveShops } from '../session/config'
import { optionEnvName, storageOptionPath } from '../session/options'
import { createSessionDriver } from '../store/drivers'
import type { DriverLoader } from '../store/drivers'
import { createSessionStore } from '../store/session'
import { OperatorUsageError } from './commands'
import type { OperatorTarget } from './operations'
import { walkSourceOf } from './operations'

// Drivers that keep their keys in the memory of the process that opened them: the CLI would open an empty store of
// its own and report 0 sessions, or "0 keys deleted" for an end-shop that ended nothing.
const IN_PROCESS_DRIVERS = new Set(['', 'memory', 'lru-cache', 'lruCache', 'null'])

/** The shops of a configuration, each with its store, opened outside a server (the CLI). */
export interface OperatorTargets {
  targets: Map<string, OperatorTarget>
  /** Closes every store connection. */
  close: () => Promise<void>
}

/**
 * Opens the session store of every shop of a configuration as the server would (the same option checks, drivers and
 * store), for operations run outside the server. Shops that share their storage settings share one connection. A
 * store chosen at start by the app's `storefront:storage` hook is not seen here: only the configuration is.
 * @param config the module's runtime config, with the environment applied
 * @param loaders driver loaders for drivers named by their unstorage name
 * @returns the shops and a close function
 * @throws OperatorUsageError when a shop's store lives in the server's memory, which the CLI cannot reach
 */
export async function openOperatorTargets(config: ModuleOptions, loaders: Record<string, DriverLoader> = {}): Promise<OperatorTargets> {
  const shops = resolveShops(config, { production: true })
  const inProcess = [...shops.byId.values()].filter(shop => IN_PROCESS_DRIVERS.has(String(shop.storage.driver ?? '')))
  if (inProcess.length > 0) {
    const where = inProcess.map((shop) => {
      const option = [...storageOptionPath(config, shop.id), 'driver']
      return `shop ${shop.id}: ${option.join('.')} ${JSON.stringify(shop.storage.driver || 'memory')} (${optionEnvName(option)})`
    })
    throw new OperatorUsageError(`the CLI cannot reach a store kept in a server's memory (${where.join('; ')}): it would open an empty store of its own and change nothing; run the storefront:sessions:* Nitro tasks inside the server instead (runTask, or nitro.scheduledTasks)`)
  }
  const opened = new Map<string, Promise<Omit<OperatorTarget, 'shop'> & { close: () => Promise<void> }>>()
  const targets = new Map<string, OperatorTarget>()
  for (const shop of shops.byId.values()) {
    let backend = opened.get(shop.storageId)
    if (!backend) {
      backend = (async () => {
        const { driver, nativeTtl } = await createSessionDriver({ ...shop.storage }, shop.storeTimeoutMs, loaders, { path: storageOptionPath(config, shop.id) })
        const storage = createStorage({ driver })
        const sessions = createSessionStore(storage, driver, { nativeTtl, sweepIntervalMs: 0, timeoutMs: shop.storeTimeoutMs })
        return {
          sessions,
          source: walkSourceOf(storage, driver, shop.storeTimeoutMs),
          close: async () => {
            await sessions.dispose()
            await storage.dispose()
          },
        }
      })()
      opened.set(shop.storageId, backend)
    }
    const { sessions, source } = await backend
    targets.set(shop.id, { shop, sessions, source })
  }
  return {
    targets,
    async close() {
      for (const backend of opened.values()) await (await backend).close()
    },
  }
}
