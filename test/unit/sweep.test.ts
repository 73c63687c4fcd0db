import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStorage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createGuestId, createUserSessionId, parseSessionId } from '../../src/runtime/server/session/id'
import { sessionKeys, createSessionStore, sweepExpired } from '../../src/runtime/server/store'

// The fs driver has no TTL of its own: expired records stay on disk until the background sweep removes them.
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).flatMap(name => statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]) : []
}

describe('fs store sweep', () => {
  it('removes expired session files and keeps live ones', async () => {
    const base = mkdtempSync(join(tmpdir(), 'storefront-sweep-'))
    dirs.push(base)
    const driver = fsDriver({ base })
    const storage = createStorage({ driver })
    const store = createSessionStore(storage, driver, { nativeTtl: false, sweepIntervalMs: 0 })
    const now = Date.now()
    const meta = (e: number) => JSON.stringify({ c: now, s: now, e, ua: '' })
    const live = sessionKeys('1001', parseSessionId(createGuestId())!)
    const expired = sessionKeys('1001', parseSessionId(createGuestId())!)
    const expiredUser = sessionKeys('1001', parseSessionId(createUserSessionId('u1'))!)
    await store.create(live, { m: meta(now + 60_000) }, { ttlMs: 60_000, expiresAt: now + 60_000 })
    // Written as already expired: a store without TTL keeps the files regardless.
    await storage.setItem(expired.session, { m: meta(now - 1) })
    await storage.setItem(expiredUser.session, { m: meta(now - 1) })
    expect(files(base)).toHaveLength(3)
    expect(await store.read(expired.session)).toBeNull()

    expect(await sweepExpired(storage)).toBe(2)
    expect(await store.read(live.session)).not.toBeNull()
    expect(await storage.hasItem(expired.session)).toBe(false)
    expect(await storage.hasItem(expiredUser.session)).toBe(false)
    await store.dispose()
  })
})
