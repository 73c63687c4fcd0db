import type { Storage } from 'unstorage'
import { extendExpiring, readExpiring, writeExpiring } from '../expiring'
import { createKeyedLock } from '../lock'
import { sweepExpired } from '../sweep'
import type { IndexedSession, SessionExpiry, SessionFields, SessionPage, SessionStore, SessionStoreKeys, SessionStoreOptions, SessionWrite } from './types'
import { META_FIELD, recordExpiresAt } from '../record'

type UserIndex = Record<string, number>
/** A user's record as a generic store keeps it: the fields, and when it ends (ms since epoch). */
interface StoredUser { e: number, f: SessionFields }

/**
 * A session store on any unstorage driver. Read-modify-write steps run under a per-key lock, which makes them atomic
 * within one process; drivers shared between processes should use Redis instead.
 * @param storage unstorage scoped to the session mount
 * @param options expiry handling
 * @returns the store
 */
export function createGenericSessionStore(storage: Storage, options: SessionStoreOptions): SessionStore {
  const withLock = createKeyedLock()
  const ttlSeconds = (expiry: SessionExpiry) => Math.max(1, Math.ceil(expiry.ttlMs / 1000))

  async function readLive(key: string, now = Date.now()): Promise<SessionFields | null> {
    const fields = await storage.getItem<SessionFields>(key)
    if (!fields || typeof fields !== 'object') {
      return null
    }
    const expiresAt = recordExpiresAt(fields)
    return expiresAt && expiresAt <= now ? null : fields
  }

  // One lock per owner: a user's records and index change together, so they share the user's lock (the index key).
  const lockFor = (keys: SessionStoreKeys) => keys.index ?? keys.session

  async function readUser(key: string, now = Date.now()): Promise<StoredUser | null> {
    const stored = await storage.getItem<StoredUser>(key)
    return stored && typeof stored === 'object' && typeof stored.e === 'number' && stored.e > now && stored.f ? stored : null
  }

  // Callers hold the user's lock. A user's record lives as long as the user's longest-lived session.
  async function extendUser(key: string | undefined, expiry: SessionExpiry) {
    const stored = key ? await readUser(key) : null
    if (key && stored && stored.e < expiry.expiresAt) {
      await storage.setItem(key, { e: expiry.expiresAt, f: stored.f }, { ttl: ttlSeconds(expiry) })
    }
  }

  // Callers hold the owner's lock.
  async function indexUpdate(index: string | undefined, change: (entries: UserIndex) => void, ttlMs: number) {
    if (!index) {
      return
    }
    const entries = (await storage.getItem<UserIndex>(index)) ?? {}
    change(entries)
    await writeIndex(index, entries, ttlMs)
  }

  // The index lives as long as its longest-lived session.
  async function writeIndex(index: string, entries: UserIndex, ttlMs: number) {
    if (Object.keys(entries).length === 0) {
      await storage.removeItem(index)
      return
    }
    const longest = Math.max(ttlMs, ...Object.values(entries).map(at => at - Date.now()))
    await storage.setItem(index, entries, { ttl: Math.max(1, Math.ceil(longest / 1000)) })
  }

  const store: SessionStore = {
    kind: 'generic',
    read: async (key) => {
      const fields = await readLive(key)
      return fields ? toSessionRecord(fields) : null
    },

    readWithUser: async (key, userKey) => {
      const [fields, user] = await Promise.all([readLive(key), readUser(userKey)])
      return [fields ? toSessionRecord(fields) : null, user ? Object.entries(user.f).flat() : null] as const
    },

    writeUser: (key, lockKey, write, ttlMs) => withLock(lockKey, async () => {
      const now = Date.now()
      const stored = await readUser(key, now)
      if (!write.replace && !stored) {
        return false
      }
      const fields: SessionFields = write.replace ? {} : { ...stored!.f }
      Object.assign(fields, write.set)
      for (const field of write.del) delete fields[field]
      const expiresAt = Math.max(now + ttlMs, stored?.e ?? 0)
      await storage.setItem(key, { e: expiresAt, f: fields }, { ttl: ttlSeconds({ ttlMs: expiresAt - now, expiresAt }) })
      return true
    }),

    create: (keys, fields, expiry, options) => withLock(lockFor(keys), async () => {
      if (await readLive(keys.session)) {
        return false
      }
      await storage.setItem(keys.session, fields, { ttl: ttlSeconds(expiry) })
      await extendUser(keys.profile, expiry)
      const evicted: string[] = []
      await indexUpdate(keys.index, (entries) => {
        entries[keys.hash] = expiry.expiresAt
        const max = options?.maxPerUser ?? 0
        const others = Object.entries(entries).filter(([hash]) => hash !== keys.hash).sort((a, b) => a[1] - b[1])
        while (max > 0 && others.length + 1 > max) {
          const [hash] = others.shift()!
          delete entries[hash]
          evicted.push(hash)
        }
      }, expiry.ttlMs)
      const prefix = keys.session.slice(0, keys.session.length - keys.hash.length)
      for (const hash of evicted) await storage.removeItem(prefix + hash)
      return true
    }),

    update: (keys, write: SessionWrite, expiry) => withLock(lockFor(keys), async () => {
      const fields = await readLive(keys.session)
      if (!fields) {
        return false
      }
      Object.assign(fields, write.set)
      for (const field of write.del) {
        delete fields[field]
      }
      await storage.setItem(keys.session, fields, { ttl: ttlSeconds(expiry) })
      await extendUser(keys.profile, expiry)
      await indexUpdate(keys.index, (entries) => {
        entries[keys.hash] = expiry.expiresAt
      }, expiry.ttlMs)
      for (const key of keys.follow ?? []) await extendExpiring(storage, key, expiry.ttlMs)
      return true
    }),

    remove: (keys: SessionStoreKeys) => withLock(lockFor(keys), async () => {
      await storage.removeItem(keys.session)
      await indexUpdate(keys.index, (entries) => {
        delete entries[keys.hash]
      }, 0)
    }),

    listUserSessions: (index, prefix, now, page) => withLock(index, async (): Promise<SessionPage> => {
      const entries = (await storage.getItem<UserIndex>(index)) ?? {}
      // The index's order, as on Redis: expiry, then hash.
      const ordered = Object.entries(entries).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
      let start = 0
      if (page.after) {
        const score = Number(page.after.score)
        start = ordered.findIndex(([, at]) => at >= score)
        start = start === -1 ? ordered.length : start + page.after.count
      }
      const slice = ordered.slice(start, start + page.limit)
      const sessions: IndexedSession[] = []
      const dead: string[] = []
      for (const [hash, expiresAt] of slice) {
        const fields = expiresAt > now ? await readLive(prefix + hash, now) : null
        if (fields?.[META_FIELD]) sessions.push({ hash, meta: fields[META_FIELD] })
        else dead.push(hash)
      }
      const last = slice.at(-1)
      let next: SessionPage['next'] = null
      if (last && start + page.limit < ordered.length) {
        const score = last[1]
        const before = ordered.findIndex(([, at]) => at === score)
        next = { score: String(score), count: start + slice.length - before - dead.filter(hash => entries[hash] === score).length }
      }
      if (dead.length > 0) {
        await indexUpdate(index, (current) => {
          for (const hash of dead) delete current[hash]
        }, 0)
      }
      return { sessions, total: ordered.length - dead.length, next }
    }),

    removeUserSessions: (index, prefix, keepHashes) => withLock(index, async () => {
      const entries = (await storage.getItem<UserIndex>(index)) ?? {}
      const keep = new Set(keepHashes)
      let removed = 0
      for (const hash of Object.keys(entries)) {
        if (keep.has(hash)) {
          continue
        }
        if (await readLive(prefix + hash)) {
          removed++
        }
        await storage.removeItem(prefix + hash)
        delete entries[hash]
      }
      await writeIndex(index, entries, 0)
      return removed
    }),

    readOnce: async (key) => {
      const value = await readExpiring<unknown>(storage, key)
      return value === null ? null : String(value)
    },

    writeOnce: (key, value, ttlMs) => writeExpiring(storage, key, value, ttlMs),

    // Atomic within this process (the keyed lock), as the login limiter's counts are on these drivers.
    claimOnce: (claimKey, recordKey, ttlMs) => withLock(claimKey, async () => {
      const stored = await readExpiring<unknown>(storage, recordKey)
      const record = stored === null ? null : String(stored)
      if (record?.startsWith('{')) return { claimed: false, record }
      if (await readExpiring(storage, claimKey) !== null) return { claimed: false, record }
      await writeExpiring(storage, claimKey, 1, ttlMs)
      return { claimed: true, record }
    }),

    releaseOnce: key => storage.removeItem(key),

    countAttempts: (keys, windowMs) => Promise.all(keys.map(key => withLock(key, async () => {
      const now = Date.now()
      const stored = await storage.getItem<{ e: number, v: number }>(key)
      const open = stored && typeof stored.e === 'number' && stored.e > now ? stored : { e: now + windowMs, v: 0 }
      open.v++
      await storage.setItem(key, open, { ttl: Math.max(1, Math.ceil((open.e - now) / 1000)) })
      return { count: open.v, resetMs: open.e - now }
    }))),

    returnAttempts: keys => Promise.all(keys.map(key => withLock(key, async () => {
      const now = Date.now()
      const stored = await storage.getItem<{ e: number, v: number }>(key)
      if (!stored || typeof stored.e !== 'number' || stored.e <= now || !(stored.v > 0)) return
      stored.v--
      await storage.setItem(key, stored, { ttl: Math.max(1, Math.ceil((stored.e - now) / 1000)) })
    }))).then(() => undefined),

    async dispose() {
      clearInterval(sweeper)
    },
  }

  // Drivers without native TTL keep expired records until something removes them. The sweep runs off the request
  // path, so listing keys here is acceptable.
  const sweeper = !options.nativeTtl && options.sweepIntervalMs > 0
    ? setInterval(() => {
        sweepExpired(storage).catch(() => {})
      }, options.sweepIntervalMs)
    : undefined
  sweeper?.unref?.()
  return store
}

/** The fields a generic store keeps, as the pairs a store reads back, the meta field first. */
function toSessionRecord(fields: SessionFields): string[] {
  const record: string[] = fields[META_FIELD] === undefined ? [] : [META_FIELD, fields[META_FIELD]]
  for (const name in fields) {
    if (name !== META_FIELD && Object.hasOwn(fields, name)) record.push(name, fields[name]!)
  }
  return record
}
