import { createHmac } from 'node:crypto'
import { connect } from 'node:net'
import fc from 'fast-check'
import { expect } from 'vitest'
import type { FixtureServer } from './server'

/**
 * Cases per property and run. `FUZZ_RUNS` raises it for a longer soak; the suite's bound is 5,000 so that every
 * security file stays within its share of a few minutes on two cores.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS || 5000)

/** What one property run did, for the `[fuzz]` log line and the report. */
export interface FuzzResult {
  property: string
  seed: number
  /** Cases run (up to and including the first failure when one failed). */
  runs: number
  ms: number
  /** How many cases ended with each label the predicate returned (an HTTP status, say). */
  outcomes: Record<string, number>
}

/** Options of {@link fuzz}. */
export interface FuzzOptions {
  /** Cases to run; defaults to {@link FUZZ_RUNS}. */
  numRuns?: number
  /**
   * Predicate calls allowed for shrinking after the first failure. Every call is an HTTP round trip, so shrinking is
   * bounded; the first failing input is always reported as well.
   */
  shrinkBudget?: number
  /**
   * Tells whether the target still answers after a failure. When it does not (the server died), shrinking stops at
   * once: against a dead server every input fails and shrinking would only find a meaningless minimum.
   */
  stillAlive?: () => Promise<boolean>
}

/**
 * The seed of a property run: `FUZZ_SEED` when set (to replay a failure), otherwise a fresh random one.
 * @returns a 32-bit seed
 */
export function fuzzSeed(): number {
  const fromEnv = process.env.FUZZ_SEED
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv)
    if (!Number.isInteger(seed)) throw new TypeError(`FUZZ_SEED must be an integer, got ${JSON.stringify(fromEnv)}`)
    return seed | 0
  }
  return (Math.random() * 0x7FFFFFFF) | 0
}

function clip(text: string, max = 1500): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`
}

/**
 * Runs an async property with fast-check and prints `[fuzz] <property> seed=<n> runs=<n>`. A failure throws with the
 * seed and path to replay it (`FUZZ_SEED=<seed> FUZZ_PATH=<path>`), the first failing input and the shrunk one.
 * @param property a name for logs
 * @param arbitrary the generator of cases
 * @param predicate checks one case; throws (an `expect` failure) when the case breaks an invariant, and may return a
 *   label of the outcome (an HTTP status, say) that is tallied, so that a run shows what it actually exercised
 * @param options runs, shrink budget, liveness check
 * @returns seed, runs, duration and the tally of outcomes
 */
export async function fuzz<T>(property: string, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<string | undefined>, options: FuzzOptions = {}): Promise<FuzzResult> {
  const seed = fuzzSeed()
  const numRuns = options.numRuns ?? FUZZ_RUNS
  const budget = options.shrinkBudget ?? 200
  const path = process.env.FUZZ_PATH || undefined
  console.log(`[fuzz] ${property} seed=${seed} starting (${numRuns} runs planned${path ? `, path ${path}` : ''})`)
  let first: { value: T, error: unknown } | undefined
  let shrinkCalls = 0
  let dead = false
  const outcomes: Record<string, number> = {}
  const started = Date.now()
  const details = await fc.check(fc.asyncProperty(arbitrary, async (value) => {
    if (dead || (first && ++shrinkCalls > budget)) return true
    try {
      const label = await predicate(value)
      if (!first && label) outcomes[label] = (outcomes[label] ?? 0) + 1
    }
    catch (error) {
      if (!first) {
        first = { value, error }
        if (options.stillAlive && !(await options.stillAlive())) dead = true
      }
      throw error
    }
  }), { seed, numRuns, path, endOnFailure: false })
  const ms = Date.now() - started
  console.log(`[fuzz] ${property} seed=${seed} runs=${details.numRuns} (${(ms / 1000).toFixed(1)} s${details.failed ? ', FAILED' : ''}) outcomes ${JSON.stringify(outcomes)}`)
  if (details.failed) {
    const describe = (error: unknown) => clip(error instanceof Error ? error.message : String(error), 3000)
    throw new Error([
      `[fuzz] ${property} failed after ${details.numRuns} runs; replay with FUZZ_SEED=${seed} FUZZ_PATH=${details.counterexamplePath}`,
      dead ? 'the server stopped answering after the first failing input: shrinking was skipped' : '',
      `first failing input: ${clip(fc.stringify(first?.value))}`,
      `its error: ${describe(first?.error)}`,
      `shrunk input (${details.numShrinks} shrinks): ${clip(fc.stringify(details.counterexample?.[0]))}`,
      `its error: ${describe(details.errorInstance)}`,
    ].filter(Boolean).join('\n'))
  }
  if (details.numRuns < numRuns && !path) {
    throw new Error(`[fuzz] ${property} ran ${details.numRuns} of ${numRuns} cases`)
  }
  return { property, seed, runs: details.numRuns, ms, outcomes }
}

// ---------------------------------------------------------------------------------------------------------------------
// Cookies

/**
 * Signs a session id the way the module does (express-session layout): `s:<id>.<HMAC-SHA256 base64url>`.
 * @param id any string (it need not be a valid id: the point is to get past the signature check)
 * @param secret the secret
 * @returns the signed value, not yet percent-encoded
 */
export function signCookieValue(id: string, secret: string): string {
  return `s:${id}.${createHmac('sha256', secret).update(id).digest('base64url')}`
}

/**
 * The session id inside a cookie value as the server sets it (`s%3A<id>.<sig>`).
 * @param value the value, encoded or not
 * @returns the id
 */
export function cookieId(value: string): string {
  const decoded = decodeURIComponent(value)
  return decoded.slice(2, decoded.lastIndexOf('.'))
}

/**
 * Makes a string carriable in a request header by fetch: characters outside tab, printable ASCII and Latin-1 are
 * percent-encoded (as UTF-8), everything else is sent as it is.
 * @param value any string without lone surrogates
 * @returns a header-safe string
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7E\xA0-\xFF]/gu, c => encodeURIComponent(c))
}

/** Session ids that try to leave the store's keyspace, for signed cookies and user ids. */
export const TRAVERSAL_IDS: readonly string[] = [
  '..', '../', '../../../../../../etc/passwd', '../planted', '../../planted', 'a/../../planted', '/etc/passwd', '/', 'a/b',
  '\\', '..\\..\\planted', 'C:\\Windows\\win.ini', ':', 'a:b', '::', '1001:{g:x}:s', '{u:u1}:s', '%2e%2e', '%2e%2e%2fplanted',
  '..%2f..%2fplanted', '%2E%2E%5Cplanted', '.%2e/planted', 'a\u0000b', '\u0000', '../\u0000', 'u1\u0000', 'x'.repeat(1000),
  '.', '...', 'u1/..', 'u1:..', 'u1:../../planted', '~', '$HOME', '*', '?', '#', 'ü/../ü', '\u202E..',
]

// ---------------------------------------------------------------------------------------------------------------------
// JSON with prototype-polluting keys

/** Keys that must never reach an object as its prototype, at any depth. */
export const POLLUTING_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype']

/**
 * Property names the pollution probes can see: a polluted `Object.prototype` with one of them changes the answer of a
 * probe (an RPC payload read from a parsed body, a field a schema reads, a problem's `errors`).
 */
export const PROBE_KEYS: readonly string[] = ['payload', 'variantId', 'quantity', 'productId', 'errors', 'email', 'password', 'firstName', 'polluted', 'isAdmin', 'user', 'userId', 'shopId', 'params']

/** Values placed under polluting keys start with this; no answer may ever contain it. */
export const MARKER = 'pwned-'

const leaf: fc.Arbitrary<string> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, -(2 ** 53) - 2, 1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }),
).map(value => JSON.stringify(value))

/** What goes under a polluting key: an object of probe keys with marker values, some nested once more. */
const pollution: fc.Arbitrary<string> = fc.array(
  fc.tuple(fc.constantFrom(...PROBE_KEYS, ...POLLUTING_KEYS), fc.nat(9999), fc.boolean()),
  { minLength: 1, maxLength: 4 },
).map(entries => `{${entries.map(([key, n, nested]) => {
  const marker = JSON.stringify(`${MARKER}${n}`)
  return `${JSON.stringify(key)}:${nested ? `{"prototype":{${JSON.stringify(key)}:${marker}}}` : marker}`
}).join(',')}}`)

const objectKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...POLLUTING_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROBE_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'toJSON', '0', '') },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
)

/**
 * JSON texts up to a few levels deep whose objects carry `__proto__`, `constructor` and `prototype` keys at any depth
 * (duplicated keys included). Marker values ({@link MARKER}) appear under polluting keys only, so once those are
 * dropped no answer may contain one.
 */
export const pollutedJson: fc.Arbitrary<string> = fc.letrec<{ node: string }>(tie => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(tie('node'), { maxLength: 5 }).map(items => `[${items.join(',')}]`) },
    {
      weight: 2,
      arbitrary: fc.array(fc.tuple(objectKey, tie('node'), pollution), { maxLength: 6 })
        .map(entries => `{${entries.map(([key, value, polluting]) => `${JSON.stringify(key)}:${POLLUTING_KEYS.includes(key) ? polluting : value}`).join(',')}}`),
    },
  ),
})).node

/**
 * Nesting depth of a JSON text (brackets outside strings), counted without recursion.
 * @param text JSON text, valid or not
 * @returns the deepest level
 */
export function nestingDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    }
    else if (c === '"') inString = true
    else if (c === '[' || c === '{') max = Math.max(max, ++depth)
    else if (c === ']' || c === '}') depth--
  }
  return max
}

/**
 * A copy of a parsed JSON value without `__proto__`, `constructor` and `prototype` keys at any depth: what an RPC
 * handler must receive. Iterative, so that deeply nested input cannot overflow the test's own stack.
 * @param value a value from JSON.parse
 * @returns the stripped copy
 */
export function stripPolluting(value: unknown): unknown {
  const copy = (v: unknown): unknown => v === null || typeof v !== 'object' ? v : Array.isArray(v) ? Array.from({ length: v.length }) : {}
  const root = copy(value)
  const stack: [unknown, unknown][] = [[value, root]]
  while (stack.length > 0) {
    const [source, target] = stack.pop()!
    if (source === null || typeof source !== 'object') continue
    for (const key of Object.keys(source)) {
      if (!Array.isArray(source) && POLLUTING_KEYS.includes(key)) continue
      const child = (source as Record<string, unknown>)[key]
      const made = copy(child)
      Object.defineProperty(target, key, { value: made, enumerable: true, writable: true, configurable: true })
      stack.push([child, made])
    }
  }
  return root
}

/** Deeply nested JSON text: 1,000 to 20,000 levels of arrays and objects, some under polluting keys; the deepest pass 100 KB. */
export const deepJson: fc.Arbitrary<string> = fc.tuple(
  fc.integer({ min: 1000, max: 20_000 }),
  fc.array(fc.constantFrom('[', '{"a":', '{"__proto__":', '{"constructor":', '[1,', '{"prototype":[', '{"x":{"y":'), { minLength: 1, maxLength: 3 }),
).map(([depth, cycle]) => {
  const open: string[] = []
  let levels = 0
  while (levels < depth) {
    const step = cycle[open.length % cycle.length]!
    open.push(step)
    levels += (step.match(/[[{]/g) ?? []).length
  }
  const closing = (step: string) => [...step].filter(c => c === '[' || c === '{').reverse().map(c => c === '[' ? ']' : '}').join('')
  return `${open.join('')}0${open.map(closing).reverse().join('')}`
})

/**
 * JSON arrays of a size in bytes within the given bounds, made of one repeated small element.
 * @param sizes the bounds in bytes
 * @param sizes.min the smallest size
 * @param sizes.max the largest size
 * @returns the arbitrary
 */
export const hugeArrayJson = (sizes: { min: number, max: number }): fc.Arbitrary<string> => fc.tuple(
  fc.integer(sizes),
  fc.constantFrom('0', '"ab"', '{"x":1}', 'null', '[]', '{"__proto__":{"polluted":"pwned-0"}}', '1.5e300', '"\\u0000"'),
).map(([size, element]) => {
  const count = Math.max(1, Math.floor(size / (element.length + 1)))
  return `[${Array.from({ length: count }, () => element).join(',')}]`
})

/** Text that is not a JSON object: broken JSON, other syntaxes, JSON of another type, random bytes as UTF-8. */
export const notJsonObject: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constantFrom('{bad', '{"payload":', '{"payload":1,}', '{payload:1}', '{\'payload\':1}', 'NaN', 'undefined', '', ' ', '\uFEFF{"payload":1}',
    '{"payload":1}garbage', '{"payload":1}{"payload":2}', '[{"payload":1}]', '"{}"', '0', 'null', 'true', '{"payload":1e999}',
    '{"payload":"\\ud800"}', '{"payload":"\\x41"}', '{"a":1 /* comment */}', '\u0000', '{"payload":[1,2,]}', '{"\u0000":1}'),
  pollutedJson.map(text => text.slice(0, Math.max(0, text.length - 1))),
  pollutedJson.map(text => `[${text}]`),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }),
)

/** Content types: the accepted JSON ones and everything a browser form or a confused client sends. */
export const contentTypes: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=latin1', 'APPLICATION/JSON ; x=y') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(undefined, '', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/jsonp', 'application/json-patch+json', 'application/problem+json', 'application/ld+json', 'text/json', 'json', 'application/',
      '*/*', 'application/json\u00E9', 'application/xml', 'text/html', ';application/json', 'application/json,text/plain', 'application/ json'),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }) },
)

/**
 * Whether a content type is JSON: the media type before any parameter, compared without case.
 * @param type the header value
 * @returns true for application/json
 */
export function isJsonContentType(type: string | undefined): boolean {
  return (type ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json'
}

// ---------------------------------------------------------------------------------------------------------------------
// Raw HTTP and server health

/** What a raw HTTP exchange gave. */
export interface RawAnswer {
  /** The status of the first response, or null when none came. */
  status: number | null
  /** Everything received. */
  received: string
  /** True when nothing came back and the connection stayed open until the timeout. */
  hung: boolean
}

/**
 * Sends bytes on a fresh TCP connection (for requests fetch refuses to send) and reads until the server closes it.
 * @param port the server port
 * @param request the whole request; ask for `Connection: close`
 * @param timeoutMs how long to wait for the end
 * @returns the status and what was received
 */
export function rawRequest(port: number, request: Buffer | string, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let settled = false
    const done = (hung: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const received = Buffer.concat(chunks).toString('latin1')
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received)
      resolve({ status: match ? Number(match[1]) : null, received, hung: hung && received.length === 0 })
    }
    const timer = setTimeout(() => done(true), timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => done(false))
    socket.on('close', () => done(false))
    socket.on('error', () => done(false))
    socket.write(request)
  })
}

/** What Node prints when a process is about to die. */
const CRASH = /uncaughtException|unhandledRejection|Unhandled 'error' event|Uncaught |FATAL ERROR|heap out of memory/

/**
 * Lines of a server log that show an unexpected error (a 500), a crash or a stack overflow.
 * @param logs everything the server printed
 * @returns the matching lines
 */
export function problemLines(logs: string): string[] {
  return logs.split('\n').filter(line => /\[request error\]|unexpected error|Maximum call stack/.test(line) || CRASH.test(line))
}

/**
 * Asserts that the server still serves: a new connection gets an answer (so the process is alive and listening), a
 * kept-alive one too, and its log shows no crash.
 * @param server the fixture server
 * @param path a cheap GET route of that fixture
 */
export async function expectServing(server: FixtureServer, path: string): Promise<void> {
  const fresh = await rawRequest(server.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
  expect(fresh.status, `a new connection to ${path}: ${fresh.received.slice(0, 200)}`).toBe(200)
  const kept = await server.fetch(path)
  expect(kept.status).toBe(200)
  await kept.arrayBuffer()
  expect(server.logs()).not.toMatch(CRASH)
}
