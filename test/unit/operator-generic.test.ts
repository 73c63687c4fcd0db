import { createStorage } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { runOperatorCommand, OperatorUsageError } from '../../src/runtime/server/operator/commands'
import type { OperatorTarget } from '../../src/runtime/server/operator/operations'
import { walkSourceOf } from '../../src/runtime/server/operator/operations'
import { resolveShops } from '../../src/runtime/server/session/config'
import { createGuestId, createUserSessionId, parseSessionId } from '../../src/runtime/server/session/id'
import { sessionKeys, storefrontMemoryDriver, createSessionStore } from '../../src/runtime/server/store'

// The operations on a generic (non-Redis) store: a walk lists the shop's keys with the driver's getKeys and works
// through them in batches; keys of another shop sharing the store are never touched.

const HOUR = 3_600_000
const meta = (expiresAt: number) => JSON.stringify({ c: Date.now(), s: Date.now(), e: expiresAt })

async function setup() {
  const driver = storefrontMemoryDriver({})
  const storage = createStorage({ driver })
  const sessions = createSessionStore(storage, driver, { nativeTtl: true, sweepIntervalMs: 0 })
  const shops = resolveShops({ shops: { 1001: { path: '/' }, 1002: { path: '/de' } }, session: { secret: 'a'.repeat(40) } }, { production: false })
  const targets = new Map<string, OperatorTarget>([...shops.byId.values()].map(shop => [shop.id, { shop, sessions, source: walkSourceOf(storage, driver) }]))
  const expiry = { ttlMs: HOUR, expiresAt: Date.now() + HOUR }
  const add = async (shopId: string, id: string) => {
    const keys = sessionKeys(shopId, parseSessionId(id)!)
    expect(await sessions.create(keys, { m: meta(expiry.expiresAt) }, expiry)).toBe(true)
    return keys
  }
  return { storage, sessions, targets, add }
}

describe('operations on a generic store', () => {
  it('counts, lists, purges and ends sessions of one shop only', async () => {
    const { storage, targets, add } = await setup()
    for (let i = 0; i < 7; i++) await add('1001', createGuestId())
    await add('1001', createUserSessionId('u1'))
    const stale = await add('1001', createUserSessionId('u1'))
    await add('1002', createUserSessionId('u1'))
    const walk = { count: 3, pauseMs: 0 }

    const count = await runOperatorCommand('count', {}, targets, walk)
    expect(count.shops).toEqual([
      expect.objectContaining({ shopId: '1001', guestSessions: 7, userSessions: 2, users: 1, interrupted: false }),
      expect.objectContaining({ shopId: '1002', guestSessions: 0, userSessions: 1, users: 1 }),
    ])

    await storage.removeItem(stale.session)
    const purged = await runOperatorCommand('purge-indexes', { shop: '1001' }, targets, walk)
    expect(purged.shops).toEqual([expect.objectContaining({ indexes: 1, entriesRemoved: 1 })])
    expect((await runOperatorCommand('list', { shop: '1001', user: 'u1' }, targets, walk)).shops[0]).toEqual(expect.objectContaining({ sessions: [expect.objectContaining({ handle: expect.any(String) })] }))

    await expect(runOperatorCommand('end-shop', { shop: '1001' }, targets, walk)).rejects.toThrow(OperatorUsageError)
    const ended = await runOperatorCommand('end-shop', { shop: '1001', yes: true }, targets, walk)
    expect(ended.shops[0]).toEqual(expect.objectContaining({ shopId: '1001', deleted: 9 }))
    const after = await runOperatorCommand('count', {}, targets, walk)
    expect(after.shops.map(shop => ('guestSessions' in shop ? shop.guestSessions + shop.userSessions : -1))).toEqual([0, 1])
  })

  it('stops a walk after the batch in which the signal came, and says so', async () => {
    const { targets, add } = await setup()
    for (let i = 0; i < 20; i++) await add('1001', createGuestId())
    const controller = new AbortController()
    const batches: number[] = []
    const report = await runOperatorCommand('count', {}, targets, {
      count: 5,
      pauseMs: 0,
      signal: controller.signal,
      onProgress(progress) {
        batches.push(progress.scanned)
        if (progress.scanned >= 10) controller.abort()
      },
    })
    expect(batches).toEqual([5, 10])
    expect(report.interrupted).toBe(true)
    expect(report.shops).toEqual([expect.objectContaining({ shopId: '1001', scanned: 10, interrupted: true })])
  })

  it('refuses unknown commands, shops and user ids', async () => {
    const { targets } = await setup()
    const walk = { count: 10, pauseMs: 0 }
    await expect(runOperatorCommand('flush', {}, targets, walk)).rejects.toThrow(/unknown command/)
    await expect(runOperatorCommand('count', { shop: '9' }, targets, walk)).rejects.toThrow(/unknown shop "9"/)
    await expect(runOperatorCommand('end-user', { user: 'a b' }, targets, walk)).rejects.toThrow(/invalid user id/)
    await expect(runOperatorCommand('list', {}, targets, walk)).rejects.toThrow(/--user/)
  })
})
