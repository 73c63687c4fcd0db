import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson } from '../helpers/cookies'
import { cookieId, expectServing, signCookieValue, TRAVERSAL_IDS } from '../helpers/fuzz'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer, TEST_SECRET } from '../helpers/server'

// Keyspace containment on the fs driver (issue 6): session ids and user ids made of `../`, `/`, `\`, `:`, `%2e%2e`, NUL
// bytes or 1,000 characters, validly signed so that they pass the signature check and reach id validation, never
// create or read a file outside the store's mount. The parent of the mount holds lure files (one of them a valid
// session record) whose access times would show a read; the tree is walked before and after.

const UUID = '3f0c1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b'

/** Signed session ids that try to leave the keyspace: guest-shaped, user-shaped, and anything in between. */
const HOSTILE_IDS = [
  ...TRAVERSAL_IDS,
  `../${UUID}`, `${UUID}/..`, `${UUID}/../../planted`, `${UUID}\u0000`, `${UUID}%2e%2e`, UUID.toUpperCase(),
  `u1:../../planted`, `../../planted:${UUID}`, `..:${UUID}`, `u1/../..:${UUID}`, `u1\\..\\..:${UUID}`, `u1\u0000:${UUID}`,
  `%2e%2e:${UUID}`, `u1:${UUID}/../../planted`, `u1:${UUID}:s`, `{u:u1}:${UUID}`, `1001:{u:u1}:s:${UUID}`, `u1:${UUID}%00`,
  `${'a'.repeat(1000)}:${UUID}`, `${'a'.repeat(64)}:${UUID}`, `${'../'.repeat(300)}planted`,
]

/** User ids a client might send to a login-like route: hostile strings and other types. */
const HOSTILE_USER_IDS: unknown[] = [
  ...TRAVERSAL_IDS, '', 'a'.repeat(65), 'a'.repeat(1000), 'u1 ', ' u1', 'u1\n', 'u1\u0000', 'ü', 'u1:u2', '{u:u1}', 'u1}',
  5, 0, -1, 1.5, true, false, null, {}, [], ['u1'], { id: 'u1' }, { toString: 'u1' },
]

/** A session record as the generic store writes it, valid until far in the future. */
function lureRecord(owner: string) {
  const now = Date.now()
  return JSON.stringify({ 'm': JSON.stringify({ c: now, s: now, e: now + 86_400_000, ua: '' }), 'd:owner': JSON.stringify(owner) })
}

/** Everything under a directory, relative to it (directories end with the separator), without following links. */
function walk(root: string): string[] {
  const out: string[] = []
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const stat = lstatSync(path)
      out.push(relative(root, path) + (stat.isDirectory() ? sep : ''))
      if (stat.isDirectory()) visit(path)
    }
  }
  visit(root)
  return out.sort()
}

/** A temporary directory with the store's mount at `<dir>/store` and lures next to it. */
class Keyspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'storefront-keyspace-'))
  readonly store = join(this.dir, 'store')
  readonly lures = ['planted', 'etc/passwd', 'store.json', '1001/planted', 's'].map(path => join(this.dir, path))
  readonly contents = new Map<string, string>()
  private readonly oldTime = new Date('2001-01-01T00:00:00Z')
  /** Whether this file system records reads in atime (relatime does, once atime is older than mtime); noatime does not. */
  readonly atimeWorks: boolean
  /** Every session id issued or presented, so that the walk can look for them in file names. */
  readonly ids = new Set<string>()

  constructor() {
    for (const lure of this.lures) {
      mkdirSync(join(lure, '..'), { recursive: true })
      const content = lure.endsWith('passwd') ? 'root:x:0:0:root:/root:/bin/sh\n' : lureRecord('planted')
      writeFileSync(lure, content)
      this.contents.set(lure, content)
    }
    const probe = join(this.dir, 'atime-probe')
    writeFileSync(probe, 'x')
    this.age(probe)
    readFileSync(probe)
    this.atimeWorks = statSync(probe).atimeMs > this.oldTime.getTime() + 1000
    rmSync(probe)
    for (const lure of this.lures) this.age(lure)
  }

  private age(path: string) {
    utimesSync(path, this.oldTime, new Date(Date.now() - 60_000))
  }

  /** Asserts that nothing was created outside the mount, the lures were neither changed nor read, and no file name holds a session id. */
  check() {
    const lureSet = new Set(this.lures.map(l => relative(this.dir, l)))
    const lureDirs = new Set(['etc/', '1001/'])
    const entries = walk(this.dir)
    const outside = entries.filter(e => !e.startsWith(`store${sep}`) && e !== `store${sep}` && !lureSet.has(e) && !lureDirs.has(e))
    expect(outside, 'files outside the mount').toEqual([])
    if (this.atimeWorks) {
      // Before reading them below: reading would set their atime.
      const read = this.lures.filter(lure => statSync(lure).atimeMs > this.oldTime.getTime() + 1000)
      expect(read.map(l => relative(this.dir, l)), 'lures read by the server').toEqual([])
    }
    for (const lure of this.lures) expect(readFileSync(lure, 'utf8'), lure).toBe(this.contents.get(lure))
    const stored = entries.filter(e => e.startsWith(`store${sep}`)).map(e => e.slice('store/'.length))
    expect(stored.length, 'the store was written to').toBeGreaterThan(0)
    expect(stored.filter(e => e.split(sep).some(segment => segment !== '' && !/^[\w{}-]{1,70}$/.test(segment))), 'unexpected names in the store').toEqual([])
    const uuids = [...this.ids].map(id => id.split(':').at(-1)!).filter(id => id.length >= 36)
    expect(stored.filter(e => uuids.some(id => e.includes(id))), 'session ids in file names').toEqual([])
    for (const entry of entries) expect(lstatSync(join(this.dir, entry)).isSymbolicLink(), entry).toBe(false)
  }

  dispose() {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

function signedCookie(shop: string, id: string) {
  return `$session-${shop}=${encodeURIComponent(signCookieValue(id, TEST_SECRET))}`
}

/** Records the ids of the session cookies a response sets. */
function remember(space: Keyspace, response: Response) {
  for (const header of response.headers.getSetCookie()) {
    const value = header.split(';')[0]!.split('=').slice(1).join('=')
    if (value && header.startsWith('$session-')) space.ids.add(cookieId(value))
  }
}

describe('the basic fixture on the fs driver', () => {
  let space: Keyspace
  let server: FixtureServer
  let before: string[]

  beforeAll(async () => {
    space = new Keyspace()
    before = walk(space.dir)
    server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'fs', NUXT_STOREFRONT_STORAGE_SESSION_BASE: space.store })
  })

  afterAll(async () => {
    await server?.stop()
    space?.dispose()
  })

  async function call(path: string, init: RequestInit = {}) {
    const response = await server.fetch(path, init)
    remember(space, response)
    return { response, status: response.status, text: await response.text() }
  }

  it('holds only lures before the server writes anything', () => {
    expect(before).toEqual(['1001/', '1001/planted', 'etc/', 'etc/passwd', 'planted', 's', 'store.json'])
  })

  it('treats validly signed hostile session ids as fresh guests on every route, never a 5xx, and adopts none', async () => {
    const wrong: string[] = []
    for (const shop of ['1001', '1002']) {
      for (const id of HOSTILE_IDS) {
        space.ids.add(id)
        const cookie = signedCookie(shop, id)
        const headers = { 'x-shop-id': shop, cookie }
        const state = await call('/api/session/state', { headers })
        if (state.status !== 200 || !state.text.includes('"isNew":true') || state.text.includes('planted')) wrong.push(`state ${JSON.stringify(id)} → ${state.status} ${state.text.slice(0, 120)}`)
        const put = await call('/api/session/put', postJson({ key: 'k', value: 1 }, headers))
        const issued = put.response.headers.getSetCookie().find(h => h.startsWith(`$session-${shop}=`))
        if (put.status !== 200 || !issued || cookieId(issued.split(';')[0]!.split('=')[1]!) === id) wrong.push(`put ${JSON.stringify(id)} → ${put.status} ${put.text.slice(0, 120)}`)
        for (const [method, payload] of [['getBasket'], ['getWishlist'], ['addItemToWishlist', { productId: 4 }], ['listSessions'], ['logout']] as const) {
          const rpc = await call(`/api/rpc/${method}`, postJson({ payload }, headers))
          if (rpc.status >= 500 || rpc.text.includes('planted')) wrong.push(`${method} ${JSON.stringify(id)} → ${rpc.status} ${rpc.text.slice(0, 120)}`)
        }
      }
    }
    expect(wrong).toEqual([])
    await expectServing(server, '/api/anonymous')
  })

  // Regression: session.bindToUser() once threw a plain TypeError for an invalid user id, answered with a 500.
  // It is a 400 now; the id never reaches the store either way.
  it('refuses hostile user ids on /api/session/bind with a 4xx, never a 5xx', async () => {
    const wrong: string[] = []
    for (const userId of HOSTILE_USER_IDS) {
      const bound = await call('/api/session/bind', postJson({ userId }))
      if (bound.status < 400 || bound.status >= 500) wrong.push(`${JSON.stringify(userId)?.slice(0, 40)} → ${bound.status}`)
    }
    // A valid id is bound, and its user's files land inside the mount.
    const valid = await call('/api/session/bind', postJson({ userId: 'u1' }))
    expect(valid.status).toBe(200)
    expect(wrong).toEqual([])
  })

  // Regression, same cause: session.put() once answered a key that is not a string of 1 to 128 characters with a 500.
  // Keys live inside the record, never in a path. A line feed is refused: Redis keeps a record as lines.
  it('keeps session data keys inside the record: hostile keys are plain fields, over-long, non-string or multi-line keys a 4xx', async () => {
    const created = await call('/api/session/put', postJson({ key: 'start', value: 0 }))
    const cookie = created.response.headers.getSetCookie()[0]!.split(';')[0]!
    const fieldKeys = ['../../planted', '/etc/passwd', '..\\..\\x', 'a:b:c', '%2e%2e', 'a\u0000b', '__proto__', 'constructor']
    for (const key of fieldKeys) expect((await call('/api/session/put', postJson({ key, value: key }, { cookie }))).status, key).toBe(200)
    const state = JSON.parse((await call('/api/session/state', { headers: { cookie } })).text) as { data: Record<string, unknown> }
    // `__proto__` cannot come back as an own key of a plain object, so it is not expected among them.
    for (const key of fieldKeys.filter(k => k !== '__proto__')) expect(state.data[key], key).toBe(key)
    // A stored `__proto__` object changes at most the one object all() returns, never Object.prototype.
    expect((await call('/api/session/put', postJson({ key: '__proto__', value: { polluted: 'pwned-1', owner: 'pwned-2' } }, { cookie }))).status).toBe(200)
    expect(JSON.parse((await call('/api/session/state')).text)).toStrictEqual({ shopId: '1001', isNew: true, data: {}, notice: null, meta: null })
    const wrong: string[] = []
    for (const key of ['x'.repeat(1000), 'x'.repeat(129), '', 5, null, ['a'], { a: 1 }, 'a\nb', '\n']) {
      const put = await call('/api/session/put', postJson({ key, value: 1 }, { cookie }))
      if (put.status < 400 || put.status >= 500) wrong.push(`${JSON.stringify(key).slice(0, 30)} → ${put.status}`)
    }
    expect(wrong).toEqual([])
  })

  it('created and read no file outside the mount, and no file name holds a session id', async () => {
    await expectServing(server, '/api/anonymous')
    space.check()
  })
})

describe('the playground on the fs driver', () => {
  let space: Keyspace
  let server: FixtureServer
  const json = { 'content-type': 'application/json' }

  beforeAll(async () => {
    space = new Keyspace()
    server = await startFixtureServer('playground', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'fs', NUXT_STOREFRONT_STORAGE_SESSION_BASE: space.store })
  })

  afterAll(async () => {
    await server?.stop()
    space?.dispose()
  })

  async function rpc(method: string, payload: unknown, headers: Record<string, string>) {
    const response = await server.fetch(`/api/rpc/${method}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify({ payload }) })
    remember(space, response)
    return { status: response.status, text: await response.text(), response }
  }

  it('serves RPC methods and pages to hostile signed cookies without a 5xx, and keeps every file inside the mount', async () => {
    // Real data first: a logged-in shopper and a guest, each with a basket and a wishlist.
    const login = await rpc('login', { email: 'alice@example.com', password: 'alice-secret-1' }, {})
    expect(login.status).toBe(200)
    const alice = login.response.headers.getSetCookie().find(h => h.startsWith('$session-1001='))!.split(';')[0]!
    expect((await rpc('addItemToBasket', { variantId: 101, quantity: 2 }, { cookie: alice })).status).toBe(200)
    expect((await rpc('addItemToWishlist', { productId: 1 }, { cookie: alice })).status).toBe(200)
    const first = await rpc('addItemToBasket', { variantId: 102, quantity: 1 }, {})
    const guest = first.response.headers.getSetCookie().find(h => h.startsWith('$session-1001='))!.split(';')[0]!
    expect((await rpc('addItemToWishlist', { productId: 2 }, { cookie: guest })).status).toBe(200)

    const wrong: string[] = []
    for (const shop of ['1001', '1002']) {
      for (const id of HOSTILE_IDS) {
        space.ids.add(id)
        const headers = { 'x-shop-id': shop, 'cookie': signedCookie(shop, id) }
        for (const [method, payload] of [['getUser'], ['getBasket'], ['getWishlist'], ['listSessions'], ['addItemToBasket', { variantId: 101, quantity: 1 }], ['addItemToWishlist', { productId: 3 }], ['logoutOtherDevices'], ['logout']] as const) {
          const answer = await rpc(method, payload, headers)
          if (answer.status >= 500 || answer.text.includes('planted')) wrong.push(`${method} ${JSON.stringify(id)} → ${answer.status} ${answer.text.slice(0, 120)}`)
        }
      }
    }
    for (const id of HOSTILE_IDS.slice(0, 12)) {
      for (const page of ['/', '/basket', '/wishlist', '/account', '/p/1', '/de/basket']) {
        const shop = page.startsWith('/de') ? '1002' : '1001'
        const response = await server.fetch(page, { headers: { cookie: signedCookie(shop, id) } })
        remember(space, response)
        const html = await response.text()
        if (response.status >= 500 || html.includes('planted')) wrong.push(`page ${page} ${JSON.stringify(id)} → ${response.status}`)
      }
    }
    expect(wrong).toEqual([])

    // The real shoppers are untouched.
    expect(JSON.parse((await rpc('getBasket', undefined, { cookie: alice })).text)).toEqual({ items: [{ variantId: 101, quantity: 2 }] })
    expect(JSON.parse((await rpc('getUser', undefined, { cookie: alice })).text).user.id).toBe('u1')
    expect(JSON.parse((await rpc('getBasket', undefined, { cookie: guest })).text)).toEqual({ items: [{ variantId: 102, quantity: 1 }] })
    expect(JSON.parse((await rpc('getWishlist', undefined, { cookie: guest })).text)).toEqual({ items: [{ productId: 2 }] })

    await expectServing(server, '/')
    space.check()
  })
})
