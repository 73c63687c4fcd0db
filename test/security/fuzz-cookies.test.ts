import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, setCookiePair } from '../helpers/cookies'
import type { FuzzResult } from '../helpers/fuzz'
import { cookieId, expectServing, fuzz, headerSafe, problemLines, rawRequest, signCookieValue, TRAVERSAL_IDS } from '../helpers/fuzz'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer, TEST_SECRET } from '../helpers/server'

// Property-based fuzzing of session cookies over HTTP (issue 6), on the built basic fixture with its sessions in a real
// Redis. Cookie headers are built from entries: real cookies of existing sessions (the bystanders), mutations of them,
// values validly signed with the server's secret around random ids, and junk, under the right name, the other shop's
// name or other names, duplicated at will. Invariants: never a 5xx, a session is recognised only from an unaltered
// cookie that is the single validly signed id presented, no presented id is ever adopted for a new session, the
// bystanders' data never changes, Object.prototype is untouched, the server keeps serving, Redis holds only keys of
// the module's grammar.

const SHOPS = ['1001', '1002'] as const
type Shop = typeof SHOPS[number]
const cookieName = (shop: Shop) => `$session-${shop}`
const MAX_SIGNED_VALUE = 512

interface Bystander {
  shop: Shop
  /** The cookie value exactly as the server set it (`s%3A<id>.<sig>`). */
  value: string
  id: string
  data: Record<string, unknown>
}

const results: FuzzResult[] = []
let redis: RedisProcess
let server: FixtureServer
const bystanders: Bystander[] = []

beforeAll(async () => {
  redis = await startRedis()
  server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url })
  const plan: { shop: Shop, userId?: string }[] = [{ shop: '1001' }, { shop: '1001' }, { shop: '1001' }, { shop: '1002' }, { shop: '1001', userId: 'bystander_u0' }, { shop: '1001', userId: 'bystander_u1' }, { shop: '1002', userId: 'bystander_u2' }]
  for (const [n, { shop, userId }] of plan.entries()) {
    const headers = { 'x-shop-id': shop }
    let pair: string | undefined
    if (userId) {
      const bound = await server.fetch('/api/session/bind', postJson({ userId }, headers))
      expect(bound.status).toBe(200)
      pair = setCookiePair(bound, cookieName(shop))
    }
    const data = { owner: `bystander-${n}`, nested: { list: [n, 'x'], flag: true } }
    for (const [key, value] of Object.entries(data)) {
      const response = await server.fetch('/api/session/put', postJson({ key, value }, { ...headers, ...(pair ? { cookie: pair } : {}) }))
      expect(response.status).toBe(200)
      pair ??= setCookiePair(response, cookieName(shop))
    }
    const value = pair!.slice(cookieName(shop).length + 1)
    bystanders.push({ shop, value, id: cookieId(value), data })
  }
})

afterAll(async () => {
  for (const r of results) console.log(`[fuzz] summary ${r.property}: seed=${r.seed} runs=${r.runs} ${(r.ms / 1000).toFixed(1)} s ${JSON.stringify(r.outcomes)}`)
  await server?.stop()
  await redis?.dispose()
})

async function readState(cookie: string | undefined, shop: Shop) {
  const response = await server.fetch('/api/session/state', { headers: { 'x-shop-id': shop, ...(cookie ? { cookie } : {}) } })
  expect(response.status).toBe(200)
  return await response.json() as { shopId: string, isNew: boolean, data: Record<string, unknown>, notice: unknown, meta: unknown }
}

/** Every bystander's session still holds exactly its data. */
async function expectBystandersIntact() {
  for (const b of bystanders) {
    const state = await readState(`${cookieName(b.shop)}=${b.value}`, b.shop)
    expect(state, `bystander ${b.id}`).toMatchObject({ shopId: b.shop, isNew: false })
    expect(state.data, `bystander ${b.id}`).toStrictEqual(b.data)
  }
}

/** A polluted Object.prototype would show through these answers (see fuzz-rpc.test.ts for the reasoning). */
async function expectNoPollution() {
  expect(await readState(undefined, '1001')).toStrictEqual({ shopId: '1001', isNew: true, data: {}, notice: null, meta: null })
  const echo = await server.fetch('/api/rpc/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  expect(await echo.json()).toStrictEqual({ shopId: '1001' })
  const anonymous = await server.fetch('/api/anonymous')
  expect(await anonymous.json()).toStrictEqual({ hello: 'world' })
  const add = await server.fetch('/api/rpc/addItemToBasket', postJson({ payload: {} }))
  expect(((await add.json()) as { errors: { path: string }[] }).errors.map(e => e.path)).toEqual(['variantId', 'quantity'])
}

/** Every key in Redis follows the module's grammar: shop, hashed or validated owner, a record, index or data suffix. */
async function expectRedisKeyspace() {
  const client = redis.client()
  try {
    const keys = await client.keys('*')
    expect(keys.length).toBeGreaterThan(0)
    const grammar = /^storefront:(?:1001|1002):\{(?:g:[\w-]{43}|u:[\w-]{1,64})\}(?::[a-z]+(?::[\w-]{1,64})?)?$/
    expect(keys.filter(key => !grammar.test(key)).slice(0, 20)).toEqual([])
    // A store dump yields no usable cookie: no key holds a presented or issued session id.
    const ids = bystanders.map(b => b.id.split(':').at(-1)!)
    expect(keys.filter(key => ids.some(id => key.includes(id)))).toEqual([])
  }
  finally {
    client.disconnect()
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Cookie entries

type Mutation = 'flipId' | 'flipSig' | 'truncate' | 'append' | 'insert' | 'wrongSecret' | 'badBase64' | 'swapSig' | 'dropPrefix'
  | 'doubleSign' | 'upperId' | 'wrongPrefix' | 'sigPadding' | 'emptyId' | 'emptySig'

type ValueSpec
  = | { kind: 'original', victim: number }
    | { kind: 'signed', id: string }
    | { kind: 'mutated', victim: number, mutation: Mutation, pos: number, text: string, secret: string, raw: boolean }
    | { kind: 'junk', text: string }

type NameKind = 'exact' | 'spaced' | 'upper' | 'other-shop' | 'random' | 'empty' | 'bare'

interface Entry { name: NameKind, randomName: string, value: ValueSpec }

const ID_ALPHABET = '0123456789abcdef-'
const SIG_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function replaceAt(text: string, index: number, alphabet: string, shift: number) {
  const current = text[index]!
  const at = alphabet.indexOf(current)
  const next = alphabet[(Math.max(at, 0) + 1 + (shift % (alphabet.length - 1))) % alphabet.length]!
  return text.slice(0, index) + (next === current ? alphabet[(alphabet.indexOf(next) + 1) % alphabet.length] : next) + text.slice(index + 1)
}

/** A changed copy of a bystander's signed value (decoded form); never equal to it. */
function mutate(spec: Extract<ValueSpec, { kind: 'mutated' }>): string {
  const victim = bystanders[spec.victim % bystanders.length]!
  const original = decodeURIComponent(victim.value)
  const dot = original.lastIndexOf('.')
  const id = original.slice(2, dot)
  const sig = original.slice(dot + 1)
  const other = bystanders[(spec.victim + 1 + (spec.pos % (bystanders.length - 1))) % bystanders.length]!
  const text = spec.text || 'x'
  let out: string
  switch (spec.mutation) {
    case 'flipId': out = `s:${replaceAt(id, spec.pos % id.length, ID_ALPHABET, spec.pos)}.${sig}`
      break
    case 'flipSig': out = `s:${id}.${replaceAt(sig, spec.pos % sig.length, SIG_ALPHABET, spec.pos)}`
      break
    case 'truncate': out = original.slice(0, original.length - 1 - (spec.pos % (original.length - 1)))
      break
    case 'append': out = original + text
      break
    case 'insert': {
      const at = 2 + (spec.pos % (original.length - 2))
      out = original.slice(0, at) + text + original.slice(at)
      break
    }
    case 'wrongSecret': out = signCookieValue(id, spec.secret === TEST_SECRET ? `${spec.secret}x` : spec.secret)
      break
    case 'badBase64': out = `s:${id}.${[...`${text}+/=!*~`.repeat(43)].slice(0, 43).join('')}`
      break
    case 'swapSig': out = `s:${id}.${decodeURIComponent(other.value).split('.').at(-1)}`
      break
    case 'dropPrefix': out = original.slice(2)
      break
    case 'doubleSign': out = `s:${original}.${sig}`
      break
    case 'upperId': out = `s:${id.toUpperCase()}.${sig}`
      break
    case 'wrongPrefix': out = `${['S:', 'j:', 's;', 's', ':', 's::'][spec.pos % 6]}${id}.${sig}`
      break
    case 'sigPadding': out = `${original}=`
      break
    case 'emptyId': out = `s:.${sig}`
      break
    case 'emptySig': out = `s:${id}.`
      break
  }
  return out === original ? `${out}x` : out
}

const RAW_SAFE = /^[\w:.+/=!*~$-]*$/

interface Resolved {
  part: string
  /** The id the server must find validly signed in this entry when its name counts, if any. */
  signedId?: string
  counts: boolean
}

function resolve(entry: Entry, shop: Shop): Resolved {
  const spec = entry.value
  let value: string
  let signedId: string | undefined
  switch (spec.kind) {
    case 'original': {
      const victim = bystanders[spec.victim % bystanders.length]!
      value = victim.value
      signedId = victim.id
      break
    }
    case 'signed': {
      const signed = signCookieValue(spec.id, TEST_SECRET)
      value = encodeURIComponent(signed)
      // Longer values are refused before any HMAC work; what counts is the decoded length.
      signedId = signed.length <= MAX_SIGNED_VALUE ? spec.id : undefined
      break
    }
    case 'mutated': {
      const mutated = mutate(spec)
      value = spec.raw && RAW_SAFE.test(mutated) ? mutated : encodeURIComponent(mutated)
      break
    }
    case 'junk':
      value = spec.text
      break
  }
  const own = cookieName(shop)
  const names: Record<NameKind, string> = {
    'exact': own,
    'spaced': ` ${own} `,
    'upper': own.toUpperCase(),
    'other-shop': cookieName(shop === '1001' ? '1002' : '1001'),
    'random': entry.randomName,
    'empty': '',
    'bare': '',
  }
  const counts = entry.name === 'exact' || entry.name === 'spaced'
  return { part: entry.name === 'bare' ? value : `${names[entry.name]}=${value}`, signedId: counts ? signedId : undefined, counts }
}

const idArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.uuid({ version: 4 }) },
  { weight: 2, arbitrary: fc.tuple(fc.stringMatching(/^[\w-]{1,64}$/), fc.uuid({ version: 4 })).map(([user, uuid]) => `${user}:${uuid}`) },
  { weight: 2, arbitrary: fc.constantFrom(...TRAVERSAL_IDS) },
  // Not empty: `s:.<sig>` has no id at all and is malformed before any signature check.
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 4 }), fc.integer({ min: 400, max: 2000 })).map(([s, n]) => s.repeat(n).slice(0, n)) },
)

const junkArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }).map(headerSafe) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 60 }).map(headerSafe) },
  { weight: 2, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%ZZ', '%00', '%0A%0D', '%C0%AF', '%uD800', '%%%', '%2e%2e%2f', 's%3A%', 's%3A', 's:', 's:.', '"', '""', '"s:"', '=', '==', ',', 'null', 'undefined', '[object Object]', '__proto__', 'j%3A%7B%22__proto__%22%3A%7B%7D%7D') },
  { weight: 2, arbitrary: fc.tuple(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.stringMatching(/^[\w-]{43}$/)).map(([id, sig]) => headerSafe(`s:${id}.${sig}`)) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 200 }) },
  // 8 KB and more: up to the 16 KB Node allows for all headers, and past it (431).
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }), fc.integer({ min: 8192, max: 20_000 })).map(([s, n]) => headerSafe(s).repeat(n).slice(0, n)) },
)

const valueArbitrary = (withOriginals: boolean): fc.Arbitrary<ValueSpec> => fc.oneof(
  { weight: withOriginals ? 2 : 0, arbitrary: fc.nat(99).map(victim => ({ kind: 'original' as const, victim })) },
  { weight: 3, arbitrary: idArbitrary.map(id => ({ kind: 'signed' as const, id })) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('mutated' as const),
      victim: fc.nat(99),
      mutation: fc.constantFrom<Mutation>('flipId', 'flipSig', 'truncate', 'append', 'insert', 'wrongSecret', 'badBase64', 'swapSig', 'dropPrefix', 'doubleSign', 'upperId', 'wrongPrefix', 'sigPadding', 'emptyId', 'emptySig'),
      pos: fc.nat(10_000),
      text: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
      secret: fc.string({ minLength: 1, maxLength: 48 }),
      raw: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: junkArbitrary.map(text => ({ kind: 'junk' as const, text })) },
)

const entryArbitrary = (withOriginals: boolean): fc.Arbitrary<Entry> => fc.record({
  name: fc.oneof(
    { weight: 12, arbitrary: fc.constant<NameKind>('exact') },
    { weight: 1, arbitrary: fc.constantFrom<NameKind>('spaced', 'upper', 'other-shop', 'random', 'empty', 'bare') },
  ),
  randomName: fc.stringMatching(/^[\w.$-]{1,12}$/),
  value: valueArbitrary(withOriginals),
})

const requestArbitrary = (withOriginals: boolean) => fc.record({
  shop: fc.constantFrom<Shop>(...SHOPS),
  sendShopHeader: fc.boolean(),
  entries: fc.array(entryArbitrary(withOriginals), { minLength: 1, maxLength: 5 }),
  separator: fc.constantFrom('; ', ';', ' ;  '),
})

type Request = ReturnType<typeof requestArbitrary> extends fc.Arbitrary<infer R> ? R : never

function buildCookieHeader(request: Request) {
  // Without an x-shop-id header the path selects shop 1001.
  const shop: Shop = request.sendShopHeader ? request.shop : '1001'
  const resolved = request.entries.map(entry => resolve(entry, shop))
  return { shop, header: resolved.map(r => r.part).join(request.separator), resolved }
}

/** The id the server must resolve: one distinct validly signed id under the shop's name, else none. */
function expectedId(resolved: Resolved[]): string | undefined {
  const ids = new Set(resolved.filter(r => r.counts && r.signedId !== undefined).map(r => r.signedId!))
  return ids.size === 1 ? [...ids][0] : undefined
}

/** The session ids of the Set-Cookie headers of a response for one cookie name (empty string for a cleared one). */
function setCookieIds(response: Response, name: string): string[] {
  return response.headers.getSetCookie()
    .filter(header => header.startsWith(`${name}=`))
    .map((header) => {
      const value = header.split(';')[0]!.slice(name.length + 1)
      return /max-age=0/i.test(header) || value === '' ? '' : cookieId(value)
    })
}

async function alive(): Promise<boolean> {
  try {
    const response = await server.fetch('/api/anonymous', { signal: AbortSignal.timeout(5000) })
    await response.arrayBuffer()
    return response.status === 200
  }
  catch {
    return false
  }
}

describe('fuzzed session cookies', () => {
  it('reads: a session is found only from its unaltered cookie as the one validly signed id, and never a 5xx', async () => {
    results.push(await fuzz('cookies on read', requestArbitrary(true), async (request) => {
      const { shop, header, resolved } = buildCookieHeader(request)
      const response = await server.fetch('/api/session/state', { headers: { cookie: header, ...(request.sendShopHeader ? { 'x-shop-id': request.shop } : {}) } })
      const text = await response.text()
      const context = `cookie (${header.length} chars): ${JSON.stringify(header.slice(0, 600))}\n→ ${response.status} ${text.slice(0, 300)}`
      if (response.status === 431) {
        // Node refuses headers over 16 KB before the app sees them.
        expect(header.length, context).toBeGreaterThan(8000)
        return '431'
      }
      expect(response.status, context).toBe(200)
      const body = JSON.parse(text) as { shopId: string, isNew: boolean, data: unknown }
      const id = expectedId(resolved)
      const owner = bystanders.find(b => b.id === id && b.shop === shop)
      expect(body.shopId, context).toBe(shop)
      if (owner) {
        expect(body, context).toMatchObject({ isNew: false, data: owner.data })
      }
      else {
        expect(body, context).toMatchObject({ isNew: true, data: {} })
      }
      // A read sets no cookie, except the refresh of the session it found (same id).
      expect(setCookieIds(response, cookieName(shop)).filter(issued => issued !== owner?.id), context).toEqual([])
      return owner ? 'bystander' : resolved.some(r => r.signedId) ? 'guest (signed id presented)' : 'guest'
    }, { stillAlive: alive }))

    await expectBystandersIntact()
    await expectNoPollution()
    await expectServing(server, '/api/anonymous')
    expect(problemLines(server.logs())).toEqual([])
  })

  it('writes: a fuzzed cookie never reaches a bystander\'s session, no presented id is adopted, never a 5xx', async () => {
    const routes = [
      { path: '/api/session/put', body: { key: 'fuzz', value: 1 }, expect: { data: { fuzz: 1 } } },
      { path: '/api/session/put-many', body: { entries: [['fuzz', 2], ['owner', 'intruder']] }, expect: { data: { fuzz: 2, owner: 'intruder' } } },
      { path: '/api/session/flash', body: { value: 'fuzz' }, expect: { ok: true } },
      { path: '/api/session/forget', body: { key: 'owner' }, expect: { data: {} } },
      { path: '/api/session/regenerate', body: {}, expect: { ok: true } },
      { path: '/api/session/destroy', body: {}, expect: { ok: true } },
      { path: '/api/session/bind', body: { userId: 'fuzz_user' }, expect: { userId: 'fuzz_user' } },
      { path: '/api/rpc/getUser', body: {}, rpc: true },
      { path: '/api/rpc/getBasket', body: {}, rpc: true },
      { path: '/api/rpc/addItemToWishlist', body: { payload: { productId: 3 } }, rpc: true },
      { path: '/api/rpc/listSessions', body: {}, rpc: true },
      { path: '/api/rpc/logout', body: {}, rpc: true },
    ]
    const arbitrary = fc.record({ request: requestArbitrary(false), route: fc.constantFrom(...routes) })
    results.push(await fuzz('cookies on write', arbitrary, async ({ request, route }) => {
      const { shop, header, resolved } = buildCookieHeader(request)
      const response = await server.fetch(route.path, postJson(route.body, { cookie: header, ...(request.sendShopHeader ? { 'x-shop-id': request.shop } : {}) }))
      const text = await response.text()
      const context = `${route.path} cookie (${header.length} chars): ${JSON.stringify(header.slice(0, 600))}\n→ ${response.status} ${text.slice(0, 300)}`
      if (response.status === 431) {
        expect(header.length, context).toBeGreaterThan(8000)
        return '431'
      }
      expect(response.status, context).toBeLessThan(500)
      expect(text, context).not.toContain('bystander')
      if (route.rpc) {
        expect([200, 204, 401, 409], context).toContain(response.status)
        if (response.status >= 400) expect(response.headers.get('content-type'), context).toContain('application/problem+json')
      }
      else {
        expect(response.status, context).toBe(200)
        expect(JSON.parse(text), context).toStrictEqual(route.expect)
      }
      // No fixation: a new session gets a fresh id, never one the client presented, nor a bystander's.
      const presented = new Set(resolved.map(r => r.signedId).filter(Boolean))
      for (const issued of setCookieIds(response, cookieName(shop)).filter(Boolean)) {
        expect(presented.has(issued), `${context}\nissued ${issued}`).toBe(false)
        expect(bystanders.some(b => b.id === issued), `${context}\nissued ${issued}`).toBe(false)
        if (route.path.endsWith('/bind')) expect(issued.startsWith('fuzz_user:'), context).toBe(true)
      }
      return `${route.path.split('/').at(-1)} ${response.status}${expectedId(resolved) ? ' (one signed id)' : ''}`
    }, { stillAlive: alive }))

    await expectBystandersIntact()
    await expectNoPollution()
    await expectServing(server, '/api/anonymous')
    expect(problemLines(server.logs())).toEqual([])
  })

  it('raw bytes: any bytes in one or more Cookie headers get an answer below 500, on a read and on a write', async () => {
    const noLineBreaks = (bytes: Uint8Array) => Buffer.from(bytes.filter(b => b !== 0x0A && b !== 0x0D))
    const line = fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 200 }).map(noLineBreaks) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SHOPS), fc.uint8Array({ maxLength: 120 })).map(([shop, bytes]) => Buffer.concat([Buffer.from(`${cookieName(shop)}=`), noLineBreaks(bytes)])) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }).map(text => Buffer.from(`${cookieName('1001')}=${text}`, 'utf8').filter(b => b !== 0x0A && b !== 0x0D)).map(b => Buffer.from(b)) },
      { weight: 1, arbitrary: fc.tuple(fc.nat(99), fc.uint8Array({ maxLength: 60 })).map(([n, bytes]) => Buffer.concat([Buffer.from(`${cookieName(bystanders[n % bystanders.length]!.shop)}=${bystanders[n % bystanders.length]!.value}; `), noLineBreaks(bytes)])) },
      { weight: 1, arbitrary: fc.integer({ min: 8192, max: 12_000 }).chain(n => fc.uint8Array({ minLength: 16, maxLength: 16 }).map(seed => Buffer.from(Array.from({ length: n }, (_, i) => seed[i % 16]!)).map(b => (b === 0x0A || b === 0x0D ? 0x41 : b)))).map(b => Buffer.from(b)) },
    )
    const arbitrary = fc.record({
      lines: fc.array(line, { minLength: 1, maxLength: 3 }),
      write: fc.boolean(),
      headerName: fc.constantFrom('Cookie', 'cookie', 'COOKIE'),
    })
    const bystanderValues = bystanders.map(b => b.value)
    results.push(await fuzz('cookies as raw bytes', arbitrary, async ({ lines, write, headerName }) => {
      // A write must not carry a bystander's real cookie: the write would then rightly go to that session.
      const safeLines = write ? lines.filter(l => !bystanderValues.some(v => l.includes(v))) : lines
      const body = '{"key":"fuzz","value":3}'
      const head = write
        ? `POST /api/session/put HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n`
        : 'GET /api/session/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'
      const request = Buffer.concat([
        Buffer.from(head),
        ...safeLines.map(l => Buffer.concat([Buffer.from(`${headerName}: `), l, Buffer.from('\r\n')])),
        Buffer.from('\r\n'),
        Buffer.from(write ? body : ''),
      ])
      const answer = await rawRequest(server.port, request)
      const context = `${JSON.stringify(request.toString('latin1').slice(0, 600))}\n→ ${answer.received.slice(0, 300)}`
      expect(answer.hung, context).toBe(false)
      expect(answer.status, context).not.toBeNull()
      expect(answer.status!, context).toBeLessThan(500)
      if (write && answer.status === 200) expect(answer.received, context).not.toContain('bystander')
      return `${write ? 'write' : 'read'} ${answer.status}`
    }, { stillAlive: alive }))

    await expectBystandersIntact()
    await expectNoPollution()
    await expectServing(server, '/api/anonymous')
    expect(problemLines(server.logs())).toEqual([])
    await expectRedisKeyspace()
  })
})
