import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { createCommerceStore, createSessionStore, type CommerceStore, type SessionStore } from '../../src/runtime/server/store'
import { startRedis, type RedisProcess } from './redis'

/** A redis-server of the test's own with the module's Redis commerce and session stores on it. */
export interface CommerceRedis {
  redis: RedisProcess
  store: CommerceStore
  sessions: SessionStore
  /** Stops the stores and the server. */
  dispose: () => Promise<void>
}

/**
 * Starts a redis-server and opens the commerce and session stores on it, as the module's session plugin does for a
 * shop on Redis (one unstorage redis driver under `base`).
 * @param base the driver's key prefix
 * @returns the server and the stores
 */
export async function startCommerceRedis(base: string): Promise<CommerceRedis> {
  const redis = await startRedis()
  const driver = redisDriver({ url: redis.url, base })
  const storage = createStorage({ driver })
  const store = createCommerceStore(storage, driver)
  const sessions = createSessionStore(storage, driver, { nativeTtl: true, sweepIntervalMs: 0 })
  return {
    redis,
    store,
    sessions,
    dispose: async () => {
      await sessions.dispose()
      await storage.dispose()
      await redis.dispose()
    },
  }
}
