import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { inspect } from 'node:util'
import { createEvent } from 'h3'
import type { H3Event } from 'h3'
import { createStorage } from 'unstorage'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { resolveShops } from '../../src/runtime/server/session/config'
import { signSessionId } from '../../src/runtime/server/session/cookie'
import { createSessionEngine } from '../../src/runtime/server/session/engine'
import { storefrontMemoryDriver, createSessionStore, createSessionDriver } from '../../src/runtime/server/store'
import { loadSession } from '../../src/runtime/server/session/session'
import type { SessionStore } from '../../src/runtime/server/store'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'

const SECRET = 'unit-secret-0123456789abcdefghijklmnop'
const shop = resolveShops({ session: { secret: SECRET } }, { production: false }).byId.get('1001')!

function request(cookie?: string): H3Event {
  const req = new IncomingMessage(new Socket())
  req.url = '/'
  req.method = 'GET'
  req.headers = cookie ? { cookie } : {}
  return createEvent(req, new ServerResponse(req))
}

function cookieOf(event: H3Event): string {
  const header = String(event.node.res.getHeader('set-cookie'))
  return /^(\$session-1001=[^;]+)/.exec(header)![1]!
}

let redis: RedisProcess
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.dispose()
})

/**
 * The memory store (records as pairs) or the Redis store (records as stored lines), with every call counted and
 * every array record frozen (as a shared object would be).
 */
async function countingStore(kind: 'memory' | 'redis' = 'memory') {
  const { driver, nativeTtl } = kind === 'redis'
    ? await createSessionDriver({ driver: 'redis', url: redis.url, base: `unit-${Math.random().toString(36).slice(2)}` }, 2000)
    : { driver: storefrontMemoryDriver({ sweepIntervalMs: 0 }), nativeTtl: true }
  const storage = createStorage({ driver })
  const inner = createSessionStore(storage, driver, { nativeTtl, sweepIntervalMs: 0, timeoutMs: 2000 })
  const calls: string[] = []
  const store: SessionStore = {
    ...inner,
    read: async (key) => {
      calls.push('read')
      const record = await inner.read(key)
      return record === null || typeof record === 'string' ? record : Object.freeze([...record])
    },
    create: (...args) => (calls.push('create'), inner.create(...args)),
    update: (...args) => (calls.push('update'), inner.update(...args)),
    remove: (...args) => (calls.push('remove'), inner.remove(...args)),
  }
  return { store, calls, dispose: async () => {
    await inner.dispose()
    await storage.dispose()
  } }
}

let stores: Awaited<ReturnType<typeof countingStore>>[] = []
afterEach(async () => {
  await Promise.all(stores.map(s => s.dispose()))
  stores = []
})

async function withSession(data: Record<string, unknown>, kind: 'memory' | 'redis' = 'memory') {
  const counted = await countingStore(kind)
  stores.push(counted)
  const first = request()
  const session = await loadSession(first, shop, counted.store)
  for (const [key, value] of Object.entries(data)) session.put(key, value)
  await session.commit()
  counted.calls.length = 0
  return { ...counted, cookie: cookieOf(first), id: session.id }
}

describe('RequestSession', () => {
  it('a read costs one store read, and its commit writes nothing', async () => {
    const { store, calls, cookie } = await withSession({ user: { name: 'Alice' }, basket: [1, 2] })
    const event = request(cookie)
    const session = await loadSession(event, shop, store)
    expect(session.get('user')).toEqual({ name: 'Alice' })
    expect(session.has('basket')).toBe(true)
    expect(session.all()).toEqual({ user: { name: 'Alice' }, basket: [1, 2] })
    await session.commit()
    expect(calls).toEqual(['read'])
    expect(event.node.res.getHeader('set-cookie')).toBeUndefined()
  })

  it('writes over a record the store shares without changing that record', async () => {
    const { store, calls, cookie } = await withSession({ a: 1, b: 2 })
    const session = await loadSession(request(cookie), shop, store)
    // The record read is frozen: writing into it would throw.
    session.put('a', 10)
    session.forget('b')
    expect(session.all()).toEqual({ a: 10 })
    await session.commit()
    expect(calls).toEqual(['read', 'update'])
    const again = await loadSession(request(cookie), shop, store)
    expect(again.all()).toEqual({ a: 10 })
  })

  it('keeps data, the id and the shop settings out of JSON and inspect output', async () => {
    const { store, cookie, id } = await withSession({ user: { email: 'alice@example.com' } })
    const session = await loadSession(request(cookie), shop, store)
    const serialised = JSON.stringify(session)
    const inspected = inspect(session, { depth: 10, showHidden: true })
    for (const shown of [serialised, inspected]) {
      expect(shown).not.toContain(SECRET)
      expect(shown).not.toContain(id)
      expect(shown).not.toContain('alice@example.com')
      expect(shown).toContain('1001')
    }
    expect(JSON.parse(serialised)).toEqual({ shopId: '1001', isNew: false, ended: false })
  })

  it('accepts a repeat visitor\'s cookie every time, and still refuses a changed signature', async () => {
    const { store, cookie, id } = await withSession({ n: 1 })
    for (let i = 0; i < 3; i++) {
      expect((await loadSession(request(cookie), shop, store)).id).toBe(id)
    }
    const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
    const last = value.at(-1) === 'A' ? 'B' : 'A'
    const forged = `$session-1001=${encodeURIComponent(value.slice(0, -1) + last)}`
    const session = await loadSession(request(forged), shop, store)
    expect(session.isNew).toBe(true)
    expect(session.get('n')).toBeUndefined()
    // Sent as it was signed (not percent-encoded), the same cookie is accepted too.
    expect((await loadSession(request(`$session-1001=${signSessionId(id, SECRET)}`), shop, store)).id).toBe(id)
  })
})

describe.each(['memory', 'redis'] as const)('RequestSession records (%s store)', (kind) => {
  it('reads and writes a record with many fields (looked up through an index) like a small one', async () => {
    const data = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, { i, text: 'x'.repeat(i * 4) }]))
    const { store, calls, cookie } = await withSession(data, kind)
    const session = await loadSession(request(cookie), shop, store)
    for (let i = 0; i < 60; i++) expect(session.get(`k${i}`)).toEqual({ i, text: 'x'.repeat(i * 4) })
    expect(session.has('k60')).toBe(false)
    session.put('k7', 'seven')
    session.forget('k8')
    expect(session.get('k7')).toBe('seven')
    expect(session.has('k8')).toBe(false)
    await session.commit()
    expect(calls).toEqual(['read', 'update'])
    const again = await loadSession(request(cookie), shop, store)
    expect(Object.keys(again.all())).toHaveLength(59)
    expect(again.get('k7')).toBe('seven')
  })

  it('reads every field of a small record, and only the field asked for, whatever the names look like', async () => {
    const data = { 'a': 1, 'ab': [2], 'b': 'f:x', 'd:a': { nested: '\\n' }, 'm': 'not the meta', 'u': null, 'ünï 🛒': 'é' }
    const { store, cookie } = await withSession(data, kind)
    const session = await loadSession(request(cookie), shop, store)
    for (const [key, value] of Object.entries(data)) expect(session.get(key), key).toEqual(value)
    expect(session.has('abc')).toBe(false)
    expect(session.has('f:x')).toBe(false)
    expect(session.all()).toEqual(data)
    expect(session.getField('m')).toBeUndefined()
    expect(session.meta?.createdAt).toBeGreaterThan(0)
  })

  it('never takes a value for a field name, even a raw internal value that reads like one', async () => {
    const { store, cookie } = await withSession({ seed: 0 }, kind)
    const first = await loadSession(request(cookie), shop, store)
    // Stored before d:a: on Redis, the line right above d:a's own name.
    first.setField('x', 'd:a')
    await first.commit()
    const second = await loadSession(request(cookie), shop, store)
    second.put('a', 1)
    await second.commit()
    const third = await loadSession(request(cookie), shop, store)
    expect(third.get('a')).toBe(1)
    expect(third.getField('x')).toBe('d:a')
    // A raw value that reads like a flash field is a value, not a flash.
    third.setField('y', 'f:not-a-flash')
    await third.commit()
    const fourth = await loadSession(request(cookie), shop, store)
    expect(fourth.getFlash('not-a-flash')).toBeUndefined()
    expect(fourth.getField('y')).toBe('f:not-a-flash')
    expect(fourth.get('a')).toBe(1)
  })

  it('hands a flash to the next request only, and deletes it with that request\'s save', async () => {
    const { store, calls, cookie } = await withSession({ n: 1 }, kind)
    const first = await loadSession(request(cookie), shop, store)
    first.flash('notice', { text: 'merged' })
    await first.commit()
    const second = await loadSession(request(cookie), shop, store)
    expect(second.getFlash('notice')).toEqual({ text: 'merged' })
    expect(second.getField('f:notice')).toBeUndefined()
    expect(second.get('n')).toBe(1)
    await second.commit()
    const third = await loadSession(request(cookie), shop, store)
    expect(third.getFlash('notice')).toBeUndefined()
    await third.commit()
    expect(calls).toEqual(['read', 'update', 'read', 'update', 'read'])
  })

  it('refuses keys and internal fields that hold a line feed with a 400, and stores nothing', async () => {
    const { store, calls, cookie } = await withSession({ n: 1 }, kind)
    const session = await loadSession(request(cookie), shop, store)
    for (const write of [() => session.put('a\nb', 1), () => session.get('\n'), () => session.flash('x\n', 1), () => session.setField('u\n', '1'), () => session.setField('u', 'a\nb'), () => session.setField('', '1')]) {
      expect(write).toThrow(expect.objectContaining({ statusCode: 400 }))
    }
    await session.commit()
    expect(calls).toEqual(['read'])
  })
})

describe('createSessionEngine', () => {
  it('loads a request\'s session once and commits without an extra store call', async () => {
    const { store, calls, cookie } = await withSession({ n: 1 })
    const engine = createSessionEngine({ shops: resolveShops({ session: { secret: SECRET } }, { production: false }), storeFor: () => store })
    for (let i = 0; i < 2; i++) {
      const event = request(cookie)
      const [a, b] = await Promise.all([engine.session(event), engine.session(event)])
      expect(a).toBe(b)
      expect(a.get('n')).toBe(1)
      await engine.commit(event)
    }
    expect(calls).toEqual(['read', 'read'])
  })

  it('forgets a failed load, so that the next call loads again', async () => {
    const { store, cookie } = await withSession({ n: 1 })
    let failures = 1
    const flaky: SessionStore = { ...store, read: key => failures-- > 0 ? Promise.reject(new Error('down')) : store.read(key) }
    const engine = createSessionEngine({ shops: resolveShops({ session: { secret: SECRET } }, { production: false }), storeFor: () => flaky })
    const event = request(cookie)
    await engine.session(request()) // the store is ready from here on
    await expect(engine.session(event)).rejects.toMatchObject({ statusCode: 503 })
    expect((await engine.session(event)).get('n')).toBe(1)
  })

  // A store that bounds its own calls (Redis) is read without the timeout wrapper, which also turned a read that
  // throws instead of rejecting into a rejected load.
  it.each([false, true])('answers a store read that throws with a 503 and loads again after it (timesOutItself: %s)', async (timesOutItself) => {
    const { store, cookie } = await withSession({ n: 1 })
    let failures = 1
    const throwing: SessionStore = {
      ...store,
      timesOutItself,
      read: (key) => {
        if (failures-- > 0) throw new Error('down')
        return store.read(key)
      },
    }
    const engine = createSessionEngine({ shops: resolveShops({ session: { secret: SECRET } }, { production: false }), storeFor: () => throwing })
    const event = request(cookie)
    await engine.session(request())
    await expect(engine.session(event)).rejects.toMatchObject({ statusCode: 503 })
    expect((await engine.session(event)).get('n')).toBe(1)
  })
})

describe('a re-issue whose old record the store fails to remove', () => {
  // The new record exists by then. The shopper gets its cookie when the old id can no longer sign anybody in: a
  // guest's record, or a user's that the primary removed and only its replicas did not confirm (durable mode). A
  // user's record whose removal may not have happened fails the save, and so does a destroyed session's.
  const unconfirmed = () => Object.assign(new Error('0 of 1 replicas confirmed the write within 500 ms'), { appliedOnPrimary: true })
  const failing = (store: SessionStore, error: () => Error): SessionStore => ({ ...store, remove: () => Promise.reject(error()) })

  it.each([
    ['a login from a guest', (session: Awaited<ReturnType<typeof loadSession>>) => session.bindToUser('alice')],
    ['a guest\'s regenerate', (session: Awaited<ReturnType<typeof loadSession>>) => session.regenerate()],
  ])('%s: the save succeeds with the new cookie, and the old id is a guest at most', async (_, reissue) => {
    const counted = await withSession({ n: 1 })
    const store = failing(counted.store, () => new Error('store down'))
    const event = request(counted.cookie)
    const session = await loadSession(event, shop, store)
    reissue(session)
    await session.commit()
    const next = cookieOf(event)
    expect(next).not.toBe(counted.cookie)
    const reread = await loadSession(request(next), shop, store)
    expect(reread.isNew).toBe(false)
    expect(reread.id).toBe(session.id)
    expect((await loadSession(request(counted.cookie), shop, store)).userId).toBeUndefined()
  })

  async function signedIn() {
    const { store, cookie } = await withSession({ n: 1 })
    const first = request(cookie)
    const user = await loadSession(first, shop, store)
    user.bindToUser('alice')
    await user.commit()
    return { store, cookie: cookieOf(first) }
  }

  it.each([
    ['a user\'s regenerate', (session: Awaited<ReturnType<typeof loadSession>>) => session.regenerate()],
    ['a re-login as the same user', (session: Awaited<ReturnType<typeof loadSession>>) => session.bindToUser('alice')],
  ])('%s: a removal that may not have happened fails the save; one the primary applied keeps the new session', async (_, reissue) => {
    const { store, cookie } = await signedIn()
    const down = await loadSession(request(cookie), shop, failing(store, () => new Error('store down')))
    reissue(down)
    await expect(down.commit()).rejects.toThrow()
    const event = request(cookie)
    const applied = await loadSession(event, shop, failing(store, unconfirmed))
    reissue(applied)
    await applied.commit()
    expect(cookieOf(event)).not.toBe(cookie)
    expect((await loadSession(request(cookieOf(event)), shop, store)).userId).toBe('alice')
  })

  it('a logout still fails when the record stays', async () => {
    const { store, cookie } = await signedIn()
    const logout = await loadSession(request(cookie), shop, failing(store, unconfirmed))
    logout.destroy()
    await expect(logout.commit()).rejects.toThrow()
  })
})

describe('a change of principal and the data size', () => {
  const portableShop = resolveShops({ session: { secret: SECRET, guestPortableKeys: ['keep'], maxDataSize: 100 } }, { production: false }).byId.get('1001')!

  it('carries only guest-portable keys from a guest, everything for the same user, nothing to another user', async () => {
    const counted = await countingStore()
    stores.push(counted)
    const event = request()
    const session = await loadSession(event, portableShop, counted.store)
    session.put('keep', 1)
    session.put('drop', 2)
    session.flash('notice', 'guest')
    await session.commit()
    session.bindToUser('alice')
    expect(session.all()).toEqual({ keep: 1 })
    session.put('address', 'Alice Road')
    await session.commit()
    session.bindToUser('alice')
    expect(session.all()).toEqual({ keep: 1, address: 'Alice Road' })
    session.bindToUser('bob')
    expect(session.all()).toEqual({})
    await session.commit()
    const reread = await loadSession(request(cookieOf(event)), portableShop, counted.store)
    expect(reread).toMatchObject({ userId: 'bob', isNew: false })
    expect(reread.all()).toEqual({})
  })

  it('counts maxDataSize in UTF-8 bytes as stored, not in UTF-16 units', async () => {
    const counted = await countingStore()
    stores.push(counted)
    const session = await loadSession(request(), portableShop, counted.store)
    // 'd:k' + '"' + 30 × '€' + '"' + 2 line feeds: 3 + 92 + 2 = 97 bytes (34 UTF-16 units of value).
    session.put('k', '€'.repeat(30))
    expect(() => session.put('k', '€'.repeat(32))).toThrow(/over the limit of 100/)
    expect(session.get('k')).toBe('€'.repeat(30))
  })
})

describe('bearer transport and labels in the engine', () => {
  const bearerShop = resolveShops({ session: { secret: SECRET, transports: ['cookie', 'bearer'] } }, { production: false }).byId.get('1001')!

  function withHeaders(headers: Record<string, string>): H3Event {
    const event = request()
    event.node.req.headers = headers
    return event
  }

  it('a cookie-only shop never reads Authorization: a valid token there is no session and costs no store read', async () => {
    const { store, calls, cookie } = await withSession({ n: 1 })
    const token = decodeURIComponent(cookie.slice('$session-1001='.length))
    const session = await loadSession(withHeaders({ 'authorization': `Bearer ${token}`, 'x-storefront-transport': 'bearer' }), shop, store)
    expect(session).toMatchObject({ isNew: true, transport: 'cookie' })
    expect(calls).toEqual([])
  })

  it('a bearer shop reads the token, and a first write answers the token in a header, never as a cookie', async () => {
    const counted = await countingStore()
    stores.push(counted)
    const first = withHeaders({ 'x-storefront-transport': 'bearer' })
    const guest = await loadSession(first, bearerShop, counted.store)
    expect(guest.transport).toBe('bearer')
    guest.put('basket', [1])
    await guest.commit()
    expect(first.node.res.getHeader('set-cookie')).toBeUndefined()
    const token = String(first.node.res.getHeader('x-storefront-session-token'))
    expect(token).toBe(signSessionId(guest.id, SECRET))
    const again = await loadSession(withHeaders({ authorization: `Bearer ${token}` }), bearerShop, counted.store)
    expect(again.get('basket')).toEqual([1])
    await expect(loadSession(withHeaders({ authorization: `Bearer ${token}`, cookie: `$session-1001=${encodeURIComponent(signSessionId('4b1c6f6e-8f5e-4c8e-9d5e-2f9b7a1c3d4e', SECRET))}` }), bearerShop, counted.store))
      .rejects.toMatchObject({ statusCode: 400 })
  })

  it('keeps a label through regenerate and a login as the same user, not as another user', async () => {
    const counted = await countingStore()
    stores.push(counted)
    const event = request()
    const session = await loadSession(event, shop, counted.store)
    session.setLabel('  Alice\u0007\'s\u202E iPhone\n')
    expect(session.label).toBe('Alice\'s iPhone')
    await session.commit()
    const loaded = await loadSession(request(cookieOf(event)), shop, counted.store)
    expect(loaded.label).toBe('Alice\'s iPhone')
    expect(loaded.meta?.label).toBe('Alice\'s iPhone')
    loaded.bindToUser('alice')
    await loaded.commit()
    expect(loaded.label).toBe('')
    loaded.setLabel('Kitchen')
    await loaded.commit()
    loaded.regenerate()
    await loaded.commit()
    loaded.bindToUser('alice')
    await loaded.commit()
    expect(loaded.label).toBe('Kitchen')
    loaded.bindToUser('bob')
    expect(loaded.label).toBe('')
    expect(() => loaded.setLabel('x'.repeat(65))).toThrow(expect.objectContaining({ statusCode: 400 }))
    expect(() => loaded.setLabel(7 as unknown as string)).toThrow(expect.objectContaining({ statusCode: 400 }))
  })
})
