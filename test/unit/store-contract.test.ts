import { createHash, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStorage } from 'unstorage'
import type { Driver } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestFunction } from 'vitest'
import type { Cluster, Redis } from 'ioredis'
import { createGuestId, createUserSessionId, parseSessionId } from '../../src/runtime/server/session/id'
import type { SessionKeys, IndexedSession, SessionExpiry, SessionFields, SessionRecord, SessionStore } from '../../src/runtime/server/store'
import { sessionKeys, storefrontMemoryDriver, createSessionStore, createSessionDriver } from '../../src/runtime/server/store'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { RedisClusterProcess } from '../helpers/redis-cluster'
import { startRedisCluster } from '../helpers/redis-cluster'

/** A store under test, with a few ways to look around it that the contract needs. */
interface StoreFixture {
  store: SessionStore
  /** The hashes a user index holds, read without going through the store. */
  indexHashes: (index: string) => Promise<string[]>
  /** Deletes a key without going through the store, as an expiry or an operator would. */
  dropKey: (key: string) => Promise<void>
  /** Remaining TTL of a key in ms, for backends that expire keys by themselves. */
  ttlOf?: (key: string) => Promise<number>
  dispose: () => Promise<void>
}

const SHOP = '1001'
const HOUR = 3_600_000

const guestKeys = (): SessionKeys => sessionKeys(SHOP, parseSessionId(createGuestId())!)
const userSessionKeys = (userId: string): SessionKeys => sessionKeys(SHOP, parseSessionId(createUserSessionId(userId))!)
const newUserId = () => `u-${randomUUID()}`
const expiry = (ttlMs = HOUR): SessionExpiry => ({ ttlMs, expiresAt: Date.now() + ttlMs })
const byHash = (a: IndexedSession, b: IndexedSession) => a.hash.localeCompare(b.hash)

function recordFor(at: SessionExpiry, fields: SessionFields = {}): SessionFields {
  const now = Date.now()
  return { m: JSON.stringify({ c: now, s: now, e: at.expiresAt, ua: '' }), ...fields }
}

async function createSession(store: SessionStore, keys: SessionKeys, fields: SessionFields = {}, at = expiry()) {
  const record = recordFor(at, fields)
  expect(await store.create(keys, record, at)).toBe(true)
  return record
}

/** A record as read, names and values in turn, turned into fields; checks that the meta field comes first. */
function fieldsOf(stored: SessionRecord | null): SessionFields | null {
  if (stored === null) return null
  const record = typeof stored === 'string' ? stored.split('\n') : stored
  expect(record.length % 2).toBe(0)
  expect(record[0]).toBe('m')
  const fields: SessionFields = {}
  for (let i = 0; i < record.length; i += 2) {
    expect(Object.hasOwn(fields, record[i]!), `field ${record[i]} read twice`).toBe(false)
    fields[record[i]!] = record[i + 1]!
  }
  return fields
}

const readFields = async (store: SessionStore, key: string) => fieldsOf(await store.read(key))

async function waitUntilGone(store: SessionStore, key: string, deadlineMs = 5_000) {
  const deadline = Date.now() + deadlineMs
  while (await store.read(key) !== null) {
    if (Date.now() > deadline) throw new Error(`${key} still readable after ${deadlineMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/**
 * The behaviour every session store must show. `knownBugs` names cases a store fails today (each one explained where
 * the store is set up); they run as `it.fails`, so fixing the bug makes the suite say so.
 */
function describeStoreContract(name: string, factory: () => Promise<StoreFixture>, knownBugs: string[] = []) {
  const contractCase = (title: string, fn: TestFunction) => (knownBugs.includes(title) ? it.fails : it)(title, fn)

  describe(`${name} store contract`, () => {
    let fixture: StoreFixture
    let store: SessionStore
    beforeAll(async () => {
      fixture = await factory()
      store = fixture.store
    })
    afterAll(async () => {
      await fixture?.dispose()
    })

    contractCase('reads null for a missing key', async () => {
      expect(await readFields(store, guestKeys().session)).toBeNull()
      expect(await store.read(userSessionKeys(newUserId()).session)).toBeNull()
    })

    contractCase('creates a record and reads its fields back', async () => {
      const keys = guestKeys()
      const record = await createSession(store, keys, { 'd:cart': '{"items":[1,2]}', 'u': '"42"' })
      expect(await readFields(store, keys.session)).toEqual(record)
    })

    contractCase('keeps field names and values exactly: JSON escapes, quotes, non-ASCII, long values', async () => {
      const keys = userSessionKeys(newUserId())
      const values = {
        'd:note': JSON.stringify('two\nlines, a tab\t, "quotes", a backslash \\ and \u2028'),
        'd:name': JSON.stringify('Zoë 🛒 日本'),
        'd:ключ ünï': JSON.stringify({ nested: ['a', { b: null }], n: 1.5e-7 }),
        'd:a\u0000b\rc\t': '"control characters other than a line feed"',
        'd:long': JSON.stringify('x'.repeat(20_000)),
      }
      const record = await createSession(store, keys, values)
      expect(await readFields(store, keys.session)).toEqual(record)
      expect(await store.update(keys, { set: { 'd:name': JSON.stringify('Åsa') }, del: ['d:long'] }, expiry())).toBe(true)
      const { 'd:long': _long, ...rest } = record
      expect(await readFields(store, keys.session)).toEqual({ ...rest, 'd:name': '"Åsa"' })
    })

    contractCase('refuses to create over an existing record and changes nothing', async () => {
      const keys = userSessionKeys(newUserId())
      const record = await createSession(store, keys, { 'd:a': '1' })
      const intruder = recordFor(expiry(), { 'd:a': '2', 'd:b': '3' })
      expect(await store.create(keys, intruder, expiry())).toBe(false)
      expect(await readFields(store, keys.session)).toEqual(record)
    })

    contractCase('applies an update\'s set and del and returns true', async () => {
      const keys = guestKeys()
      const record = await createSession(store, keys, { 'd:a': '1', 'd:b': '2', 'f:note': '"x"' })
      const updated = await store.update(keys, { set: { 'd:a': '9', 'd:c': '3' }, del: ['d:b', 'f:note'] }, expiry())
      expect(updated).toBe(true)
      expect(await readFields(store, keys.session)).toEqual({ 'm': record.m, 'd:a': '9', 'd:c': '3' })
    })

    contractCase('does not create a record on update of a missing key', async () => {
      const guest = guestKeys()
      const user = userSessionKeys(newUserId())
      for (const keys of [guest, user]) {
        expect(await store.update(keys, { set: recordFor(expiry(), { 'd:a': '1' }), del: [] }, expiry())).toBe(false)
        expect(await readFields(store, keys.session)).toBeNull()
      }
      expect(await fixture.indexHashes(user.index!)).toEqual([])
      expect((await store.listUserSessions(user.index!, user.userSessionPrefix!, Date.now(), { limit: 50 })).sessions).toEqual([])
    })

    contractCase('never resurrects a removed record on a late update', async () => {
      const keys = userSessionKeys(newUserId())
      await createSession(store, keys, { 'd:a': '1' })
      await store.remove(keys)
      expect(await store.update(keys, { set: recordFor(expiry(), { 'd:a': '2' }), del: [] }, expiry())).toBe(false)
      expect(await readFields(store, keys.session)).toBeNull()
      expect(await fixture.indexHashes(keys.index!)).toEqual([])
    })

    contractCase('removes a record and its index entry', async () => {
      const userId = newUserId()
      const gone = userSessionKeys(userId)
      const kept = userSessionKeys(userId)
      const guest = guestKeys()
      await createSession(store, gone)
      const keptRecord = await createSession(store, kept)
      await createSession(store, guest)

      await store.remove(gone)
      await store.remove(guest)

      expect(await readFields(store, gone.session)).toBeNull()
      expect(await readFields(store, guest.session)).toBeNull()
      expect(await fixture.indexHashes(gone.index!)).toEqual([kept.hash])
      expect(await readFields(store, kept.session)).toEqual(keptRecord)
    })

    contractCase('expires a record at the end of its ttl', async () => {
      const guest = guestKeys()
      const user = userSessionKeys(newUserId())
      await createSession(store, guest, {}, expiry(1_000))
      await createSession(store, user, {}, expiry(1_000))
      expect(await readFields(store, guest.session)).not.toBeNull()
      if (fixture.ttlOf) {
        const ttl = await fixture.ttlOf(guest.session)
        expect(ttl).toBeGreaterThan(0)
        expect(ttl).toBeLessThanOrEqual(1_000)
        const indexTtl = await fixture.ttlOf(user.index!)
        expect(indexTtl).toBeGreaterThan(0)
        expect(indexTtl).toBeLessThanOrEqual(1_000)
      }

      await waitUntilGone(store, guest.session)
      await waitUntilGone(store, user.session)
      expect((await store.listUserSessions(user.index!, user.userSessionPrefix!, Date.now(), { limit: 50 })).sessions).toEqual([])
    })

    describe('user index', () => {
      contractCase('lists exactly the sessions of one user, with their meta', async () => {
        const userId = newUserId()
        const other = userSessionKeys(newUserId())
        const mine = [userSessionKeys(userId), userSessionKeys(userId), userSessionKeys(userId)]
        const expected: IndexedSession[] = []
        for (const keys of mine) {
          const record = await createSession(store, keys, { 'd:x': '1' })
          expected.push({ hash: keys.hash, meta: record.m! })
        }
        await createSession(store, other)

        const listed = (await store.listUserSessions(mine[0]!.index!, mine[0]!.userSessionPrefix!, Date.now(), { limit: 50 })).sessions
        expect(listed.sort(byHash)).toEqual(expected.sort(byHash))
        expect((await store.listUserSessions(other.index!, other.userSessionPrefix!, Date.now(), { limit: 50 })).sessions).toHaveLength(1)
      })

      contractCase('removes every session of a user but the kept ones', async () => {
        const userId = newUserId()
        const [kept, first, second] = [userSessionKeys(userId), userSessionKeys(userId), userSessionKeys(userId)]
        const other = userSessionKeys(newUserId())
        const keptRecord = await createSession(store, kept!)
        await createSession(store, first!)
        await createSession(store, second!)
        const otherRecord = await createSession(store, other)

        expect(await store.removeUserSessions(kept!.index!, kept!.userSessionPrefix!, [kept!.hash])).toBe(2)

        expect(await readFields(store, kept!.session)).toEqual(keptRecord)
        expect(await readFields(store, first!.session)).toBeNull()
        expect(await readFields(store, second!.session)).toBeNull()
        expect(await readFields(store, other.session)).toEqual(otherRecord)
        const listed = (await store.listUserSessions(kept!.index!, kept!.userSessionPrefix!, Date.now(), { limit: 50 })).sessions
        expect(listed.map(session => session.hash)).toEqual([kept!.hash])
        expect((await store.listUserSessions(other.index!, other.userSessionPrefix!, Date.now(), { limit: 50 })).sessions).toHaveLength(1)
      })

      contractCase('lists a user\'s sessions page by page, each once, and removes past a batch', async () => {
        const userId = newUserId()
        const all: SessionKeys[] = []
        // Same expiry for several: the cursor must walk through ties too.
        const shared = expiry()
        for (let i = 0; i < 7; i++) {
          const keys = userSessionKeys(userId)
          await createSession(store, keys, {}, i % 2 ? shared : expiry(HOUR + i))
          all.push(keys)
        }
        const seen: string[] = []
        let after: { score: string, count: number } | undefined
        let pages = 0
        do {
          const page = await store.listUserSessions(all[0]!.index!, all[0]!.userSessionPrefix!, Date.now(), { limit: 3, after })
          expect(page.sessions.length).toBeLessThanOrEqual(3)
          expect(page.total).toBe(7)
          seen.push(...page.sessions.map(session => session.hash))
          after = page.next ?? undefined
          pages++
        } while (after && pages < 10)
        expect(pages).toBe(3)
        expect(seen.sort()).toEqual(all.map(keys => keys.hash).sort())

        // More than one batch (100) of a destroy-all.
        for (let i = 0; i < 143; i++) await createSession(store, userSessionKeys(userId))
        expect(await store.removeUserSessions(all[0]!.index!, all[0]!.userSessionPrefix!, [all[3]!.hash])).toBe(149)
        const left = await store.listUserSessions(all[0]!.index!, all[0]!.userSessionPrefix!, Date.now(), { limit: 50 })
        expect(left.sessions.map(session => session.hash)).toEqual([all[3]!.hash])
      })

      contractCase('keeps the user index expiring after removing sessions', async ({ skip }) => {
        if (!fixture.ttlOf) skip('the backend has no native expiry')
        const userId = newUserId()
        const kept = userSessionKeys(userId)
        await createSession(store, kept)
        await createSession(store, userSessionKeys(userId))

        await store.removeUserSessions(kept.index!, kept.userSessionPrefix!, [kept.hash])

        const ttl = await fixture.ttlOf!(kept.index!)
        expect(ttl).toBeGreaterThan(0)
        expect(ttl).toBeLessThanOrEqual(HOUR)
      })

      contractCase('prunes index entries whose record is gone while listing', async () => {
        const userId = newUserId()
        const live = userSessionKeys(userId)
        const dropped = userSessionKeys(userId)
        await createSession(store, live)
        await createSession(store, dropped)
        await fixture.dropKey(dropped.session)
        expect((await fixture.indexHashes(live.index!)).sort()).toEqual([live.hash, dropped.hash].sort())

        const listed = (await store.listUserSessions(live.index!, live.userSessionPrefix!, Date.now(), { limit: 50 })).sessions

        expect(listed.map(session => session.hash)).toEqual([live.hash])
        expect(await fixture.indexHashes(live.index!)).toEqual([live.hash])
      })
    })

    describe('user records', () => {
      it('reads a user session and its user record together, and merges 50 parallel field writes without a loss', async () => {
        const userId = newUserId()
        const keys = userSessionKeys(userId)
        await createSession(store, keys, { 'd:a': '1' })
        expect(await store.writeUser(keys.profile!, keys.index!, { set: { id: JSON.stringify(userId), name: '"A"' }, del: [], replace: false }, HOUR)).toBe(false)
        expect(await store.writeUser(keys.profile!, keys.index!, { set: { id: JSON.stringify(userId), name: '"A"', old: '1' }, del: [], replace: true }, HOUR)).toBe(true)
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
          store.writeUser(keys.profile!, keys.index!, { set: { [`f${i}`]: String(i) }, del: i === 0 ? ['old'] : [], replace: false }, HOUR)))
        expect(results.every(Boolean)).toBe(true)
        const [session, user] = await store.readWithUser(keys.session, keys.profile!)
        expect(fieldsOf(session)).toMatchObject({ 'd:a': '1' })
        const pairs = typeof user === 'string' ? user.split('\n') : [...user!]
        const fields = Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]]))
        const expected: SessionFields = { id: JSON.stringify(userId), name: '"A"' }
        for (let i = 0; i < 50; i++) expected[`f${i}`] = String(i)
        expect(fields).toEqual(expected)
        // A replace (a login) starts the record afresh.
        await store.writeUser(keys.profile!, keys.index!, { set: { id: JSON.stringify(userId) }, del: [], replace: true }, HOUR)
        expect((await store.readWithUser(keys.session, keys.profile!))[1]).toEqual(typeof user === 'string' ? `id\n${JSON.stringify(userId)}` : ['id', JSON.stringify(userId)])
      })

      it('reads a missing user record as null', async () => {
        const keys = userSessionKeys(newUserId())
        await createSession(store, keys)
        const [session, user] = await store.readWithUser(keys.session, keys.profile!)
        expect(session).not.toBeNull()
        expect(user).toBeNull()
      })
    })

    describe('attempt counters', () => {
      contractCase('counts attempts in a window and gives them back, never below 0 or past the window', async () => {
        const [a, b] = [`${SHOP}:{rl:c:${randomUUID()}}`, `${SHOP}:{rl:a:${randomUUID()}}`]
        expect((await store.countAttempts([a, b], 60_000)).map(result => result.count)).toEqual([1, 1])
        const [second] = await store.countAttempts([a], 60_000)
        expect(second!.count).toBe(2)
        expect(second!.resetMs).toBeGreaterThan(0)
        expect(second!.resetMs).toBeLessThanOrEqual(60_000)
        await store.returnAttempts([a, b])
        await store.returnAttempts([b])
        // a: 2 − 1; b: 1 − 1, and a second give-back does not go below 0.
        expect((await store.countAttempts([a, b], 60_000)).map(result => result.count)).toEqual([2, 1])
        // A counter that is gone (its window closed) is not made again by a give-back.
        await fixture.dropKey(a)
        await store.returnAttempts([a])
        expect((await store.countAttempts([a], 60_000))[0]!.count).toBe(1)
        if (fixture.ttlOf) expect(await fixture.ttlOf(a)).toBeGreaterThan(0)
      })
    })

    describe('concurrency', () => {
      it.each(['guest', 'user'] as const)('loses no update among 50 parallel ones (%s)', async (kind) => {
        const keys = kind === 'guest' ? guestKeys() : userSessionKeys(newUserId())
        const record = await createSession(store, keys)
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
          store.update(keys, { set: { [`d:f${i}`]: String(i) }, del: [] }, expiry())))

        expect(results.every(Boolean)).toBe(true)
        const expected: SessionFields = { m: record.m! }
        for (let i = 0; i < 50; i++) expected[`d:f${i}`] = String(i)
        expect(await readFields(store, keys.session)).toEqual(expected)
      })

      contractCase('never leaves a record behind when an update races a remove', async () => {
        const userId = newUserId()
        for (let round = 0; round < 20; round++) {
          const keys = round % 2 ? guestKeys() : userSessionKeys(userId)
          await createSession(store, keys)
          const update = () => store.update(keys, { set: { 'd:round': String(round) }, del: [] }, expiry())
          const remove = () => store.remove(keys)
          await (round % 4 < 2 ? Promise.all([update(), remove()]) : Promise.all([remove(), update()]))
          expect(await readFields(store, keys.session), `round ${round}`).toBeNull()
        }
        const { index, userSessionPrefix } = userSessionKeys(userId)
        expect((await store.listUserSessions(index!, userSessionPrefix!, Date.now(), { limit: 50 })).sessions).toEqual([])
        expect(await fixture.indexHashes(index!)).toEqual([])
      })
    })
  })
}

function genericFixture(driver: Driver, options: { nativeTtl: boolean }, cleanup = () => {}): StoreFixture {
  const storage = createStorage({ driver })
  const store = createSessionStore(storage, driver, { nativeTtl: options.nativeTtl, sweepIntervalMs: 0 })
  return {
    store,
    indexHashes: async index => Object.keys((await storage.getItem<Record<string, number>>(index)) ?? {}),
    dropKey: key => storage.removeItem(key),
    async dispose() {
      try {
        await store.dispose()
        await storage.dispose()
      }
      finally {
        cleanup()
      }
    },
  }
}

// Regression: removeUserSessions once rewrote the index without a ttl, so on a driver with native TTL it never expired.
describeStoreContract('memory', async () => {
  const driver = storefrontMemoryDriver({ sweepIntervalMs: 0 })
  const data = (driver.getInstance!() as { data: Map<string, { expiresAt: number }> }).data
  const fixture = genericFixture(driver, { nativeTtl: true })
  expect(fixture.store.kind).toBe('generic')
  return { ...fixture, ttlOf: async key => (data.get(key)?.expiresAt ?? 0) - Date.now() }
})

describeStoreContract('fs', async () => {
  const base = mkdtempSync(join(tmpdir(), 'storefront-fs-'))
  return genericFixture(fsDriver({ base }), { nativeTtl: false }, () => rmSync(base, { recursive: true, force: true }))
})

// unstorage's lru-cache driver ignores a per-item ttl, so the generic store checks expiry on read, as on fs.
describeStoreContract('lru-cache', async () => {
  const { default: lruCacheDriver } = await import('unstorage/drivers/lru-cache')
  return genericFixture(lruCacheDriver({ max: 10_000 }), { nativeTtl: false })
})

// A SQL store: unstorage's db0 driver on SQLite through Node's built-in node:sqlite (db0's node-sqlite connector).
describeStoreContract('db0 on SQLite', async () => {
  const { createDatabase } = await import('db0')
  const { default: sqlite } = await import('db0/connectors/node-sqlite')
  const { default: db0Driver } = await import('unstorage/drivers/db0')
  const dir = mkdtempSync(join(tmpdir(), 'storefront-db0-'))
  const database = createDatabase(sqlite({ path: join(dir, 'sessions.sqlite') }))
  return genericFixture(db0Driver({ database }), { nativeTtl: false }, () => rmSync(dir, { recursive: true, force: true }))
})

/** A Redis-backed fixture whose look-arounds go through a raw client (a server or a cluster). */
function rawRedisFixture(store: SessionStore, raw: Redis | Cluster, base: string, dispose: () => Promise<void>): StoreFixture {
  return {
    store,
    indexHashes: index => raw.zrange(`${base}:${index}`, 0, -1),
    dropKey: async (key) => {
      await raw.del(`${base}:${key}`)
    },
    ttlOf: key => raw.pttl(`${base}:${key}`),
    async dispose() {
      await dispose()
      raw.disconnect()
    },
  }
}

describe('redis', () => {
  const BASE = 'sf-test'
  let redis: RedisProcess
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.dispose()
  })

  function redisStore() {
    const driver = redisDriver({ url: redis.url, base: BASE })
    const storage = createStorage({ driver })
    const store = createSessionStore(storage, driver, { nativeTtl: true, sweepIntervalMs: 0 })
    expect(store.kind).toBe('redis')
    return {
      store,
      async dispose() {
        await store.dispose()
        await storage.dispose()
      },
    }
  }

  describeStoreContract('redis', async () => {
    const { store, dispose } = redisStore()
    return rawRedisFixture(store, redis.client(), BASE, dispose)
  })

  it('ran the whole contract without KEYS or SCAN', async () => {
    const stats = await redis.commandStats()
    expect(stats.evalsha ?? 0).toBeGreaterThan(0)
    expect(stats.keys ?? 0).toBe(0)
    expect(stats.scan ?? 0).toBe(0)
  })

  // Runs after the command-stats check because it lists the keyspace itself.
  it('stores a session under the hash of its id, never the id', async () => {
    const { store, dispose } = redisStore()
    const raw = redis.client()
    try {
      const guestId = createGuestId()
      const userId = newUserId()
      const userSessionId = createUserSessionId(userId)
      const secretPart = userSessionId.slice(userId.length + 1)
      const guest = sessionKeys(SHOP, parseSessionId(guestId)!)
      const user = sessionKeys(SHOP, parseSessionId(userSessionId)!)
      await createSession(store, guest)
      await createSession(store, user)

      const sha256 = (id: string) => createHash('sha256').update(id).digest('base64url')
      expect(await raw.exists(`${BASE}:${SHOP}:{g:${sha256(guestId)}}:s`)).toBe(1)
      expect((await raw.keys(`*${userId}*`)).sort()).toEqual([`${BASE}:${SHOP}:{u:${userId}}:i`, `${BASE}:${SHOP}:{u:${userId}}:s:${sha256(userSessionId)}`])
      expect(await raw.zrange(`${BASE}:${user.index}`, 0, -1)).toEqual([sha256(userSessionId)])
      const allKeys = await raw.keys('*')
      for (const key of allKeys) {
        expect(key).not.toContain(guestId)
        expect(key).not.toContain(secretPart)
      }
    }
    finally {
      raw.disconnect()
      await dispose()
    }
  })

  // Each command a script calls costs far more than its Lua: a page and a destroy batch call a fixed number of them,
  // however many sessions they touch. With a command per session, a 50,000-session user held Redis for one script of
  // over 5 ms on a busy machine.
  it('lists a page with one MGET and destroys a batch with one DEL, not a command per session', async () => {
    const { store, dispose } = redisStore()
    try {
      const userId = newUserId()
      const all: SessionKeys[] = []
      for (let i = 0; i < 250; i++) {
        const keys = userSessionKeys(userId)
        await createSession(store, keys)
        all.push(keys)
      }
      await redis.resetStats()
      const page = await store.listUserSessions(all[0]!.index!, all[0]!.userSessionPrefix!, Date.now(), { limit: 200 })
      expect(page.sessions).toHaveLength(200)
      const listed = await redis.commandStats()
      expect(listed.mget).toBe(1)
      expect(listed.get ?? 0).toBe(0)

      await redis.resetStats()
      expect(await store.removeUserSessions(all[0]!.index!, all[0]!.userSessionPrefix!, [all[120]!.hash])).toBe(249)
      const removed = await redis.commandStats()
      // Three batches of at most 100: one DEL and one ZREM each.
      expect(removed.del).toBe(3)
      expect(removed.zrem).toBe(3)
      expect(await redis.client().zrange(`${BASE}:${all[0]!.index!}`, 0, -1)).toEqual([all[120]!.hash])
    }
    finally {
      await dispose()
    }
  })

  it('prunes at most 100 expired index entries per listing, the lowest expiries first, and keeps the live ones', async () => {
    const { store, dispose } = redisStore()
    const raw = redis.client()
    try {
      const userId = newUserId()
      const live = userSessionKeys(userId)
      await createSession(store, live)
      const index = `${BASE}:${live.index!}`
      const now = Date.now()
      // 150 entries whose sessions have expired (their records are gone), scored in the past.
      for (let i = 0; i < 150; i++) await raw.zadd(index, now - 10_000 + i, `expired${String(i).padStart(3, '0')}`.padEnd(43, 'x'))

      // A page of one: the pruning, not the page, takes the expired entries out (a page drops the entries it meets
      // whose record is gone, here the 101st).
      const first = await store.listUserSessions(live.index!, live.userSessionPrefix!, now, { limit: 1 })
      expect(first.sessions).toEqual([])
      // The 100 that expired first went; the 49 others after the page's one are left for the next listing.
      const left = await raw.zrange(index, 0, -1)
      expect(left).toEqual([...Array.from({ length: 49 }, (_, i) => `expired${String(101 + i).padStart(3, '0')}`.padEnd(43, 'x')), live.hash])
      expect(first.total).toBe(50)

      const second = await store.listUserSessions(live.index!, live.userSessionPrefix!, now, { limit: 50 })
      expect(second.sessions.map(session => session.hash)).toEqual([live.hash])
      expect(await raw.zrange(index, 0, -1)).toEqual([live.hash])
      expect(second.total).toBe(1)
    }
    finally {
      raw.disconnect()
      await dispose()
    }
  })
})

describe('redis cluster', () => {
  const BASE = 'sf-cluster'
  let cluster: RedisClusterProcess
  beforeAll(async () => {
    cluster = await startRedisCluster(3)
  })
  afterAll(async () => {
    await cluster?.dispose()
  })

  // Through the module's own driver factory, with the cluster given the way the environment gives it.
  describeStoreContract('redis cluster (3 masters)', async () => {
    const { driver } = await createSessionDriver({ driver: 'redis', cluster: cluster.nodeList, base: BASE }, 2000)
    const storage = createStorage({ driver })
    const store = createSessionStore(storage, driver, { nativeTtl: true, sweepIntervalMs: 0 })
    expect(store.kind).toBe('redis')
    return rawRedisFixture(store, cluster.client(), BASE, async () => {
      await store.dispose()
      await storage.dispose()
    })
  })

  it('spread the contract over every master, without KEYS or SCAN', async () => {
    const perNode = await Promise.all(cluster.nodes.map(node => node.commandStats()))
    for (const stats of perNode) expect((stats.evalsha ?? 0) + (stats.eval ?? 0)).toBeGreaterThan(0)
    const total = await cluster.commandStats()
    expect(total.keys ?? 0).toBe(0)
    expect(total.scan ?? 0).toBe(0)
  })
})
