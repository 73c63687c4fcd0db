import { createStorage } from 'unstorage'
import { afterEach, describe, expect, it } from 'vitest'
import { describeSessions, writeLabel } from '../../src/runtime/server/account/device-list'
import { parseMeta } from '../../src/runtime/server/store/record'
import { resolveShops } from '../../src/runtime/server/session/config'
import { createUserSessionId } from '../../src/runtime/server/session/id'
import { createSessionStore, sessionKeys, storefrontMemoryDriver } from '../../src/runtime/server/store'
import type { SessionStore } from '../../src/runtime/server/store'

const shop = resolveShops({ session: { secret: 'unit-secret-0123456789abcdefghijklmnop' } }, { production: false }).byId.get('1001')!
const now = Date.now()
const meta = (extra: Record<string, unknown> = {}) => JSON.stringify({ c: now - 1000, s: now - 500, e: now + 60_000, ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1', ...extra })

let disposers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(disposers.map(dispose => dispose()))
  disposers = []
})

function memoryStore(): SessionStore {
  const driver = storefrontMemoryDriver({ sweepIntervalMs: 0 })
  const storage = createStorage({ driver })
  const store = createSessionStore(storage, driver, { nativeTtl: true, sweepIntervalMs: 0, timeoutMs: 2000 })
  disposers.push(async () => {
    await store.dispose()
    await storage.dispose()
  })
  return store
}

describe('the device list reads meta fields as the engine does (store/record.ts parseMeta)', () => {
  it('lists sessions with a meta field the engine loads, in index order, and leaves out one it would not load', () => {
    const entries = [
      { hash: 'a', meta: meta({ l: 'Phone' }) },
      { hash: 'b', meta: '{not json' },
      { hash: 'c', meta: JSON.stringify({ c: now, s: now }) },
      { hash: 'd', meta: meta() },
    ]
    const listed = describeSessions(shop, 'alice', entries, 'd')
    expect(listed.map(({ current, label, createdAt, expiresAt }) => ({ current, label, createdAt, expiresAt }))).toEqual([
      { current: false, label: 'Phone', createdAt: now - 1000, expiresAt: now + 60_000 },
      { current: true, label: '', createdAt: now - 1000, expiresAt: now + 60_000 },
    ])
    expect(listed[0]!.handle).not.toBe(listed[1]!.handle)
  })

  it('labels another session through its meta field, and leaves a record whose meta the engine would not load as it is', async () => {
    const store = memoryStore()
    const keys = sessionKeys(shop.id, { kind: 'user', userId: 'alice', id: createUserSessionId('alice') })
    const expiry = { ttlMs: 60_000, expiresAt: now + 60_000 }
    expect(await store.create(keys, { 'm': meta(), 'd:a': '1' }, expiry, { maxPerUser: 10 })).toBe(true)

    expect(await writeLabel(store, keys, meta(), 'Laptop')).toBe(true)
    const labelled = await store.read(keys.session)
    const pairs = typeof labelled === 'string' ? labelled.split('\n') : [...labelled!]
    expect(parseMeta(pairs[pairs.indexOf('m') + 1])?.l).toBe('Laptop')

    expect(await writeLabel(store, keys, '{not json', 'Tablet')).toBe(false)
    expect(await writeLabel(store, keys, JSON.stringify({ l: 'x' }), 'Tablet')).toBe(false)
    expect(await store.read(keys.session)).toEqual(labelled)
  })
})
