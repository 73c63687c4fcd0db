import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar } from '../helpers/jar'
import type { FuzzResult } from '../helpers/fuzz'
import {
  contentTypes, deepJson, expectServing, fuzz, hugeArrayJson, isJsonContentType, MARKER, nestingDepth, notJsonObject,
  pollutedJson, problemLines, stripPolluting,
} from '../helpers/fuzz'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// Property-based fuzzing of the RPC surface over HTTP (issue 6): random bodies, types, nesting, sizes, prototype keys,
// content types, methods and paths, against the built playground and the basic fixture's public `echo` method.
// Invariants: never a 5xx, every error an RFC 9457 problem with a 4xx status, no marker from under a polluting key in
// any answer, Object.prototype untouched (probes below), other shoppers' sessions unchanged, the server still serving.

const LIMIT = 102_400
const results: FuzzResult[] = []

afterAll(() => {
  for (const r of results) console.log(`[fuzz] summary ${r.property}: seed=${r.seed} runs=${r.runs} ${(r.ms / 1000).toFixed(1)} s ${JSON.stringify(r.outcomes)}`)
})

/** One request of a case. */
interface Sent {
  method: string
  path: string
  headers: Record<string, string>
  /** The body bytes as sent (undefined for none). */
  bytes?: Uint8Array
  chunked: boolean
}

interface Answer {
  status: number
  type: string
  text: string
  headers: Headers
}

async function send(server: FixtureServer, request: Sent): Promise<Answer> {
  let body: BodyInit | undefined
  if (request.bytes !== undefined) {
    const bytes = request.bytes
    // A stream has no length: the server counts the body as it arrives (Transfer-Encoding: chunked).
    body = request.chunked
      ? new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 16_384) controller.enqueue(bytes.slice(i, i + 16_384))
            controller.close()
          },
        })
      : new Uint8Array(bytes)
  }
  const response = await server.fetch(request.path, {
    method: request.method,
    headers: request.headers,
    body,
    ...(request.chunked && body ? { duplex: 'half' } : {}),
  } as RequestInit)
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text(), headers: response.headers }
}

const describeRequest = (request: Sent) => `${request.method} ${request.path} ${JSON.stringify(request.headers)} ${request.chunked ? 'chunked ' : ''}`
  + `body(${request.bytes?.length ?? 'none'}): ${request.bytes ? JSON.stringify(Buffer.from(request.bytes.slice(0, 300)).toString('utf8')) : ''}`

/** Asserts what every RPC answer owes: no 5xx, problem+json with a 4xx status for errors, no marker when it succeeds. */
function expectWellFormed(answer: Answer, request: Sent) {
  const context = `${describeRequest(request)}\n→ ${answer.status} ${answer.type} ${answer.text.slice(0, 300)}`
  expect(answer.status, context).toBeLessThan(500)
  if (answer.status >= 400) {
    expect(answer.type, context).toContain('application/problem+json')
    if (request.method !== 'HEAD') {
      const problem = JSON.parse(answer.text) as { status: number, title: string, type: string }
      expect(problem, context).toMatchObject({ status: answer.status, title: expect.any(String), type: expect.any(String) })
      expect(answer.text, context).not.toMatch(/\.m?js:\d+|\n\s+at /)
    }
  }
  else {
    expect(answer.text, context).not.toContain(MARKER)
    if (answer.status !== 204 && request.method !== 'HEAD') expect(answer.type, context).toContain('application/json')
  }
}

const encoder = new TextEncoder()
const utf8 = (text: string) => encoder.encode(text)

/** A POST body: JSON objects with polluting keys (most), broken or non-object JSON, deep nesting, huge arrays. */
const postBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(pollutedJson, fc.option(pollutedJson, { nil: undefined })).map(([payload, extra]) => utf8(extra?.startsWith('{') && extra.length > 2 ? `${extra.slice(0, -1)},"payload":${payload}}` : `{"payload":${payload}}`)) },
  { weight: 2, arbitrary: pollutedJson.map(utf8) },
  { weight: 3, arbitrary: notJsonObject.map(body => typeof body === 'string' ? utf8(body) : body) },
  { weight: 2, arbitrary: deepJson.map(text => utf8(`{"payload":${text}}`)) },
  { weight: 1, arbitrary: hugeArrayJson({ min: 60_000, max: 140_000 }).map(text => utf8(`{"payload":${text}}`)) },
)

const shopHeader = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom('1001', '1002') },
  { weight: 1, arbitrary: fc.constantFrom('9999', '', '1001,1002', '../1001', '1001\u00E9', ' 1002') },
)

function headersOf(type: string | undefined, shop: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(type === undefined ? {} : { 'content-type': type }), ...(shop === undefined ? {} : { 'x-shop-id': shop }), ...extra }
}

describe('the basic fixture\'s public echo method', () => {
  let server: FixtureServer

  /** A bystander: a session created before the fuzzing, whose data must be the same after it. */
  let bystander: string

  beforeAll(async () => {
    server = await startFixtureServer('basic')
    const created = await server.fetch('/api/session/put', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"key":"owner","value":{"name":"bystander","list":[1,2]}}' })
    bystander = created.headers.getSetCookie().find(h => h.startsWith('$session-1001='))!.split(';')[0]!
  })

  async function expectBystanderIntact() {
    const state = await server.fetch('/api/session/state', { headers: { cookie: bystander } })
    expect(await state.json()).toMatchObject({ isNew: false, data: { owner: { name: 'bystander', list: [1, 2] } } })
  }

  afterAll(async () => {
    await server?.stop()
  })

  /** The shop an answer must name, or 400 for an unknown `x-shop-id`. */
  const shopOf = (header: string | undefined) => header === undefined ? '1001' : ['1001', '1002'].includes(header.trim()) ? header.trim() : 400

  /** JSON text as the server parses it: a byte order mark before it is allowed (RFC 8259) and dropped. */
  const withoutBom = (text: string) => text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text

  /** The params of `?payload=<raw>`: `raw` undefined means no payload, null a payload given twice (refused). */
  function parseQueryPayload(raw: string | null | undefined): { ok: true, value: unknown } | { ok: false } {
    if (raw === undefined) return { ok: true, value: undefined }
    if (raw === null) return { ok: false }
    try {
      return { ok: true, value: JSON.parse(withoutBom(raw)) }
    }
    catch {
      return { ok: false }
    }
  }

  /** The params of a JSON body: its `payload` once polluting keys are dropped; no body means no params. */
  function parseBodyPayload(text: string): { ok: true, value: unknown } | { ok: false } {
    if (text.length === 0) return { ok: true, value: undefined }
    try {
      const value = JSON.parse(withoutBom(text))
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false }
      return { ok: true, value: (stripPolluting(value) as { payload?: unknown }).payload }
    }
    catch {
      return { ok: false }
    }
  }

  /** What echo must answer for parsed params: `{ params, shopId }` as JSON, polluting keys gone. */
  const echoed = (params: unknown, shopId: string) => JSON.parse(JSON.stringify({ params: stripPolluting(params), shopId }))

  async function checkPollutionProbes() {
    // A polluted Object.prototype would show through: a missing `payload` read from a fresh object, fields a schema
    // reads off a fresh payload, a problem's `errors`, a new session's data.
    const bare = await server.fetch('/api/rpc/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(await bare.json()).toStrictEqual({ shopId: '1001' })
    const get = await server.fetch('/api/rpc/echo')
    expect(await get.json()).toStrictEqual({ shopId: '1001' })
    const getEmpty = await server.fetch('/api/rpc/echo?payload=%7B%7D')
    expect(await getEmpty.json()).toStrictEqual({ params: {}, shopId: '1001' })
    const add = await server.fetch('/api/rpc/addItemToBasket', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payload":{}}' })
    expect(add.status).toBe(400)
    expect(((await add.json()) as { errors: { path: string }[] }).errors.map(e => e.path)).toEqual(['variantId', 'quantity'])
    const wish = await server.fetch('/api/rpc/addItemToWishlist', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payload":{}}' })
    expect(((await wish.json()) as { errors: { path: string }[] }).errors.map(e => e.path)).toEqual(['productId'])
    const state = await server.fetch('/api/session/state')
    expect(await state.json()).toStrictEqual({ shopId: '1001', isNew: true, data: {}, notice: null, meta: null })
  }

  it('probes see no pollution before the fuzzing (a baseline for the probes themselves)', async () => {
    await checkPollutionProbes()
  })

  it('answers random bodies, content types, methods and shops exactly as JSON minus polluting keys, or with a 4xx problem', async () => {
    const arbitrary = fc.record({
      kind: fc.oneof(
        { weight: 14, arbitrary: fc.constant('post' as const) },
        { weight: 3, arbitrary: fc.constant('get' as const) },
        { weight: 2, arbitrary: fc.constant('other' as const) },
      ),
      body: postBody,
      type: contentTypes,
      chunked: fc.integer({ min: 0, max: 9 }).map(n => n === 0),
      shop: shopHeader,
      // `raw` is the payload text the server must parse (see parseQueryPayload), `query` what is sent.
      query: fc.oneof(
        { weight: 6, arbitrary: pollutedJson.map(text => ({ raw: text, query: `?payload=${encodeURIComponent(text)}` })) },
        { weight: 2, arbitrary: notJsonObject.filter(b => typeof b === 'string').map(text => ({ raw: text as string, query: `?payload=${encodeURIComponent(text as string)}` })) },
        { weight: 1, arbitrary: fc.constantFrom(
          { raw: undefined, query: '' },
          { raw: undefined, query: '?x=1' },
          { raw: '', query: '?payload' },
          { raw: '', query: '?payload=' },
          { raw: null, query: '?payload=1&payload=2' },
          { raw: null, query: '?payload=%7B%7D&payload=%7B%7D' },
          { raw: '%E0%A4%A', query: '?payload=%E0%A4%A' },
          { raw: undefined, query: '?__proto__[payload]=1' },
          { raw: undefined, query: '?constructor[prototype][payload]=1' },
        ) },
      ),
      other: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    })
    results.push(await fuzz('rpc echo bodies', arbitrary, async (c) => {
      const shop = shopOf(c.shop)
      let request: Sent
      if (c.kind === 'get') {
        request = { method: 'GET', path: `/api/rpc/echo${c.query.query}`, headers: headersOf(undefined, c.shop), chunked: false }
      }
      else if (c.kind === 'other') {
        const withBody = !['HEAD', 'OPTIONS'].includes(c.other)
        request = { method: c.other, path: '/api/rpc/echo', headers: headersOf('application/json', c.shop), bytes: withBody ? utf8('{"payload":1}') : undefined, chunked: false }
      }
      else {
        request = { method: 'POST', path: '/api/rpc/echo', headers: headersOf(c.type, c.shop), bytes: c.body, chunked: c.chunked }
      }
      const answer = await send(server, request)
      expectWellFormed(answer, request)
      const context = `${describeRequest(request)}\n→ ${answer.status} ${answer.text.slice(0, 300)}`

      const outcome = `${c.kind} ${answer.status}`
      if (c.kind === 'other') {
        expect(answer.status, context).toBe(405)
        expect(answer.headers.get('allow'), context).toBe('GET, POST')
        return outcome
      }

      // What the server must make of the request, in the order a client can tell them apart.
      let parsed: { ok: true, value: unknown } | { ok: false }
      let depth = 0
      if (c.kind === 'get') {
        parsed = parseQueryPayload(c.query.raw)
      }
      else {
        if (!isJsonContentType(c.type)) {
          expect(answer.status, context).toBe(415)
          return outcome
        }
        if (c.body.length > LIMIT) {
          expect(answer.status, context).toBe(413)
          expect(answer.text, context).toContain(`larger than ${LIMIT} bytes`)
          return outcome
        }
        const text = Buffer.from(c.body).toString('utf8')
        parsed = parseBodyPayload(text)
        depth = nestingDepth(text)
      }

      if (!parsed.ok || shop === 400) {
        expect(answer.status, context).toBe(400)
        return outcome
      }
      if (answer.status === 400 && depth > 256) {
        // Deep nesting may be refused (the parser's reviver recurses), as a client error.
        expect(answer.text, context).toContain('invalid JSON')
        return `${outcome} deep`
      }
      expect(answer.status, context).toBe(200)
      const expected = echoed(parsed.value, shop)
      // Compared as canonical JSON first (fast on 100 KB arrays); a mismatch is then shown as a structural diff.
      if (JSON.stringify(JSON.parse(answer.text)) !== JSON.stringify(expected)) {
        expect(JSON.parse(answer.text), context).toStrictEqual(expected)
      }
      return depth > 256 ? `${outcome} deep` : outcome
    }, { stillAlive: () => alive(server, '/api/anonymous') }))

    await checkPollutionProbes()
    await expectBystanderIntact()
    await expectServing(server, '/api/anonymous')
    expect(problemLines(server.logs())).toEqual([])
  })
})

async function alive(server: FixtureServer, path: string, init: RequestInit = {}): Promise<boolean> {
  try {
    const response = await server.fetch(path, { ...init, signal: AbortSignal.timeout(5000) })
    await response.arrayBuffer()
    return response.status === 200
  }
  catch {
    return false
  }
}

describe('the playground\'s RPC methods', () => {
  let server: FixtureServer
  const METHODS = ['login', 'logout', 'getUser', 'updateUser', 'getFlash', 'getBasket', 'addItemToBasket', 'updateItemInBasket',
    'removeItemFromBasket', 'getWishlist', 'addItemToWishlist', 'removeItemFromWishlist', 'listSessions', 'logoutOtherDevices']
  const ALICE = { email: 'alice@example.com', password: 'alice-secret-1' }
  const BOB = { email: 'bob@example.com', password: 'bob-secret-1' }
  const json = { 'content-type': 'application/json' }

  /** Bystanders: other shoppers whose sessions no fuzz request may change. */
  const alice = new CookieJar()
  const guest = new CookieJar()
  const guest1002 = new CookieJar('1002')
  let before: Record<string, unknown>

  async function snapshot() {
    const read = async (jar: CookieJar, method: string) => {
      const answer = await jar.rpc(server, method)
      expect(answer.status, `${jar.shopId} ${method}`).toBe(200)
      return answer.body
    }
    return {
      aliceUser: await read(alice, 'getUser'),
      aliceBasket: await read(alice, 'getBasket'),
      aliceWishlist: await read(alice, 'getWishlist'),
      aliceSessions: ((await read(alice, 'listSessions')) as { sessions: { createdAt: number }[] }).sessions.map(s => s.createdAt),
      guestBasket: await read(guest, 'getBasket'),
      guestWishlist: await read(guest, 'getWishlist'),
      guest1002Basket: await read(guest1002, 'getBasket'),
      cookies: [alice.cookie, guest.cookie, guest1002.cookie],
    }
  }

  async function checkPollutionProbes() {
    const post = (method: string, body: string) => server.fetch(`/api/rpc/${method}`, { method: 'POST', headers: json, body })
    const paths = async (response: Response) => ((await response.json()) as { errors?: { path: string }[] }).errors?.map(e => e.path)
    expect(await (await post('getUser', '{}')).json()).toStrictEqual({ user: null })
    expect(await paths(await post('addItemToBasket', '{"payload":{}}'))).toEqual(['variantId', 'quantity'])
    expect(await paths(await post('addItemToWishlist', '{"payload":{}}'))).toEqual(['productId'])
    expect(await paths(await post('login', '{"payload":{}}'))).toEqual(['email', 'password'])
    const update = await post('updateUser', '{"payload":{}}')
    expect(update.status).toBe(401)
  }

  beforeAll(async () => {
    server = await startFixtureServer('playground')
    expect((await alice.rpc(server, 'login', ALICE)).status).toBe(200)
    expect((await alice.rpc(server, 'addItemToBasket', { variantId: 101, quantity: 2 })).status).toBe(200)
    expect((await alice.rpc(server, 'addItemToWishlist', { productId: 1 })).status).toBe(200)
    expect((await guest.rpc(server, 'addItemToBasket', { variantId: 102, quantity: 1 })).status).toBe(200)
    expect((await guest.rpc(server, 'addItemToWishlist', { productId: 2 })).status).toBe(200)
    expect((await guest1002.rpc(server, 'addItemToBasket', { variantId: 201, quantity: 3 })).status).toBe(200)
    before = await snapshot()
  })

  afterAll(async () => {
    await server?.stop()
  })

  /** Field values that are almost right, wrong in type, or hostile. */
  const weird: fc.Arbitrary<string> = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(101, 102, 201, 1, 2, 0, -1, 1.5, 99, 100, 1e21, 2 ** 53, -0, 5e-324, 5101).map(String) },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.constantFrom('"101"', '"1"', 'null', 'true', '[101]', '{"valueOf":101}', '"alice@example.com"', '"bob@example.com"', '"bob-secret-1"', '""', `"${'x'.repeat(300)}"`, '"  Bob  "') },
    { weight: 2, arbitrary: pollutedJson },
  )
  const typedPayload = fc.array(fc.tuple(fc.constantFrom('variantId', 'quantity', 'productId', 'email', 'password', 'firstName', 'lastName', '__proto__', 'constructor'), weird), { maxLength: 4 })
    .map(entries => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`)

  it('answers random method calls with 2xx or a 4xx problem, never a 5xx, and changes no other shopper', async () => {
    // The fuzzing shopper is Bob: logged in, so that user-only methods run too (Alice, a bystander, is another user).
    const bob = new CookieJar()
    expect((await bob.rpc(server, 'login', BOB)).status).toBe(200)
    const arbitrary = fc.record({
      method: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: fc.constantFrom('echo', 'require-user', 'toString', '__proto__', 'constructor', 'getuser') }),
      body: fc.oneof(
        { weight: 6, arbitrary: typedPayload.map(p => utf8(`{"payload":${p}}`)) },
        { weight: 6, arbitrary: postBody },
        { weight: 1, arbitrary: fc.constant(new Uint8Array()) },
      ),
      type: contentTypes,
      shop: shopHeader,
      withCookie: fc.boolean(),
      method2: fc.oneof({ weight: 12, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') }),
    })
    let logins = 0
    results.push(await fuzz('rpc playground methods', arbitrary, async (c) => {
      // Bob stays logged in most of the time, so that user-only methods keep running.
      if (!bob.cookie && logins < 50) {
        logins++
        await bob.rpc(server, 'login', BOB)
      }
      const headers = headersOf(c.type, c.shop, c.withCookie && bob.cookie ? { cookie: bob.cookie } : {})
      const request: Sent = {
        method: c.method2,
        path: `/api/rpc/${c.method}`,
        headers,
        bytes: ['GET', 'HEAD'].includes(c.method2) ? undefined : c.body,
        chunked: false,
      }
      const answer = await send(server, request)
      if (c.withCookie) bob.take(answer.headers.getSetCookie())
      expectWellFormed(answer, request)
      return String(answer.status)
    }, { stillAlive: () => alive(server, '/api/rpc/getUser', { method: 'POST', headers: json, body: '{}' }) }))

    await checkPollutionProbes()
    expect(await snapshot()).toStrictEqual(before)
    await expectServing(server, '/')
    expect(problemLines(server.logs())).toEqual([])
  })

  // Percent signs the URL parser keeps as they are: malformed escapes reach the RPC route undecoded.
  const MALFORMED_ESCAPES = ['%', '%E0%A4%A', '%ZZ', '%C3', '%FF', '%80', '%uD800', '%%', '%2', '%E0%80%80']

  // Regression (found by the paths property, seed 1790933644): `/api/rpc/<name>` decoded the name with
  // decodeURIComponent, which throws a URIError on a malformed escape: a 500 for every HTTP method.
  it('answers a method name with a malformed percent-escape with a 404 problem, not a 500', async () => {
    const wrong: string[] = []
    for (const escape of MALFORMED_ESCAPES) {
      for (const [method, name] of [['POST', escape], ['POST', `getUser${escape}`], ['GET', `${escape}x`], ['HEAD', `${escape}x`]] as const) {
        const response = await server.fetch(`/api/rpc/${name}`, { method, headers: json, body: method === 'POST' ? '{}' : undefined })
        const text = await response.text()
        if (response.status !== 404 || !(response.headers.get('content-type') ?? '').includes('application/problem+json')) {
          wrong.push(`${method} /api/rpc/${name} → ${response.status} ${text.slice(0, 120)}`)
        }
      }
    }
    expect(wrong).toEqual([])
    await expectServing(server, '/')
  })

  it('answers random RPC paths and HTTP methods with a 4xx problem, never a 5xx', async () => {
    const name = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...METHODS, 'echo', 'getUser/', 'getUser/x', 'getUser.json', 'getUser%00', 'getUser%20', '%67etUser', 'GETUSER', '') },
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeURIComponent) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map(encodeURIComponent) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...MALFORMED_ESCAPES), fc.constantFrom('', 'getUser', 'x')).map(([escape, name]) => `${name}${escape}`) },
      { weight: 1, arbitrary: fc.constantFrom('..%2FgetUser', '%2e%2e%2fgetUser', '..%5CgetUser', 'a%2F..%2F..%2Fapi%2Fanonymous', 'x'.repeat(2000), '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', 'prototype') },
    )
    const arbitrary = fc.record({
      name,
      query: fc.constantFrom('', '?payload=%7B%7D', '?payload=%', '?x=%E0%A4%A', '?payload={}', '?payload=%7B%22__proto__%22%3A%7B%22payload%22%3A%22pwned-1%22%7D%7D'),
      method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      body: fc.oneof(pollutedJson.map(p => `{"payload":${p}}`), fc.constant('{}')),
      type: contentTypes,
    })
    results.push(await fuzz('rpc paths and methods', arbitrary, async (c) => {
      const path = `/api/rpc/${c.name}${c.query}`
      const request: Sent = {
        method: c.method,
        path,
        headers: headersOf(c.type, undefined),
        bytes: ['GET', 'HEAD'].includes(c.method) ? undefined : utf8(c.body),
        chunked: false,
      }
      const answer = await send(server, request)
      const pathname = new URL(path, server.url).pathname
      if (pathname.startsWith('/api/rpc/')) {
        expectWellFormed(answer, request)
      }
      else {
        // The URL parser resolved dot segments out of the RPC route: not an RPC answer, but still never a 5xx.
        expect(answer.status, describeRequest(request)).toBeLessThan(500)
      }
      return String(answer.status)
    }, { stillAlive: () => alive(server, '/api/rpc/getUser', { method: 'POST', headers: json, body: '{}' }) }))

    await checkPollutionProbes()
    expect(await snapshot()).toStrictEqual(before)
    await expectServing(server, '/')
  })
})
