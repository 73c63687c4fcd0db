import { createHash } from 'node:crypto'
import type { H3Event } from 'h3'
import { createError, setResponseHeader } from 'h3'
import { parseSessionId } from '../session/id'
import { idempotencyKey, idempotencyMarker, readIdempotencyRecord, sessionKeys } from '../store/keys'
import type { StorefrontSession } from '../session/session'
import type { SessionStore } from '../store/session'
import { requestHeader } from './headers'
import { StorefrontHttpError } from '../session/errors'

/** How long a mutating call's result is kept for a repeat with the same `Idempotency-Key`, in ms (1 hour). */
export const IDEMPOTENCY_WINDOW_MS = 3_600_000
/** The largest result kept for a repeat (serialised, in characters); a larger one is applied once but not replayed. */
export const IDEMPOTENCY_MAX_RESULT = 65_536

const KEY = /^[\w.:-]{8,128}$/

/**
 * Where a mutating call's outcome is recorded: under the session's owner (its hash tag, so a commerce write's script
 * can set it in the same step), scoped to the session, the method and the client's key.
 * @param event the request
 * @param session its loaded session
 * @param method the RPC method
 * @param payload the call's params as sent: their fingerprint goes into the record, so that the key reused for other
 *   params is told apart from a repeat
 * @returns the record's and the counter's keys, the payload's fingerprint, and whether the session is a new one (its
 *   id was made for this call, so nothing can be recorded under it yet); undefined without a valid header
 * @throws a 400 for a malformed `Idempotency-Key`
 */
export function idempotencyRecord(event: H3Event, session: StorefrontSession, method: string, payload: unknown): { record: string, counter: string, fingerprint: string, fresh: boolean } | undefined {
  const header = requestHeader(event, 'idempotency-key')
  if (header === undefined) return undefined
  if (!KEY.test(header)) {
    throw createError({ status: 400, message: 'Idempotency-Key must be 8 to 128 characters of A-Z a-z 0-9 _ - . :' })
  }
  // A new session's id is the one its first write stores it under: a repeat sent with the cookie that write set is a
  // repeat in the same session.
  const info = parseSessionId(session.id)
  if (!info) return undefined
  const keys = sessionKeys(session.shopId, info)
  return {
    fresh: session.isNew,
    fingerprint: digest(JSON.stringify(payload ?? null)),
    record: idempotencyKey(keys.owner, digest(`${keys.hash}\n${method}\n${header}`)),
    // The session's count of keyed calls in the window: a name no record digest takes (a dot is not base64url).
    counter: idempotencyKey(keys.owner, `n.${digest(keys.hash)}`),
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 32)
}

/** How long a keyed call holds its claim while it runs: a repeat meanwhile is a 409 (1 minute). */
export const IDEMPOTENCY_CLAIM_MS = 60_000

const RECORDS_IN_ITS_WRITE = Symbol.for('nuxt-storefront-session:records-in-its-write')

/**
 * Marks a built-in method whose store write records the call's `Idempotency-Key` in its own step (the basket and
 * wishlist writes): a repeat that arrives while it runs waits for that step and applies nothing, so it takes no claim.
 * @param definition the method
 * @returns the same definition
 */
export function recordsInItsWrite<T extends object>(definition: T): T {
  Object.defineProperty(definition, RECORDS_IN_ITS_WRITE, { value: true })
  return definition
}

/**
 * The claim a keyed call holds while it runs, when its method does not record the key in its own write: the record's
 * key with a suffix no digest takes.
 * @param definition the method
 * @param record the call's record key
 * @returns the claim's key, or undefined
 */
export function claimKeyFor(definition: object, record: string): string | undefined {
  return RECORDS_IN_ITS_WRITE in definition ? undefined : `${record}.c`
}

/** A repeat of a keyed call that is still running: a 409 with `Retry-After`. */
export class KeyedCallRunningError extends StorefrontHttpError {
  override name = 'KeyedCallRunningError'
  constructor() {
    super(409, 'Conflict', 'a call with this Idempotency-Key is still running: repeat it once it has answered')
    this.data = { code: 'call-running', retryAfter: 1 }
  }
}

/** A session made more keyed calls in the window than `rpc.idempotencyLimit`: a 429 with `Retry-After`. */
export class TooManyKeyedCallsError extends StorefrontHttpError {
  override name = 'TooManyKeyedCallsError'
  constructor(limit: number, readonly retryAfter: number) {
    super(429, 'Too Many Requests', `more than ${limit} calls with an Idempotency-Key in this session within the records' window (rpc.idempotencyLimit): try again in ${retryAfter} seconds`)
    this.data = { retryAfter }
  }
}

/**
 * Counts a keyed call against the session's limit, in the same round trip as the read of its record. The window is
 * the records' own: an hour, or the session's lifetime when shorter.
 * @param store the shop's store
 * @param counter the session's counter key
 * @param sessionMaxAgeMs the shop's session lifetime
 * @returns the count in the window so far and when the window ends
 */
export async function countKeyedCall(store: SessionStore, counter: string, sessionMaxAgeMs: number): Promise<{ count: number, resetMs: number }> {
  const [counted] = await store.countAttempts([counter], Math.min(IDEMPOTENCY_WINDOW_MS, sessionMaxAgeMs))
  return counted!
}

/** The `Idempotency-Key` of an earlier call sent again with other params: a 422, as the key names one call. */
export class KeyReusedError extends StorefrontHttpError {
  override name = 'KeyReusedError'
  constructor() {
    super(422, 'Unprocessable Content', 'this Idempotency-Key was used for a call with other params: send a new key for a new call')
    this.data = { code: 'key-reused' }
  }
}

/**
 * The result a stored record holds, if the call completed with one: answered again, marked `Idempotent-Replayed`.
 * @param event the request
 * @param stored the record as stored, or null
 * @param fingerprint this call's payload fingerprint
 * @returns `{ result }` to replay, or undefined to run the call
 * @throws KeyReusedError when the record is of a call with other params
 */
export function replayOf(event: H3Event, stored: string | null, fingerprint: string): { result: unknown } | undefined {
  if (stored === null) return undefined
  // A record from before fingerprints (`1`, `{"r":…}`) tells nothing of its params.
  const record = readIdempotencyRecord(stored)
  if (record.fingerprint !== undefined && record.fingerprint !== fingerprint) throw new KeyReusedError()
  // A marker: the call was applied (a commerce write) or its result was too large to keep.
  if (!record.result) return undefined
  setResponseHeader(event, 'idempotent-replayed', 'true')
  return { result: record.result.r }
}

/**
 * Records a completed call's result, with its payload fingerprint, for repeats within {@link IDEMPOTENCY_WINDOW_MS}
 * (or the session's lifetime, when shorter: the record is scoped to it).
 * @param store the shop's store
 * @param record the record key
 * @param fingerprint the call's payload fingerprint
 * @param result what the call answered
 * @param sessionMaxAgeMs the shop's session lifetime
 */
export async function recordResult(store: SessionStore, record: string, fingerprint: string, result: unknown, sessionMaxAgeMs: number): Promise<void> {
  const text = JSON.stringify({ r: result ?? null, f: fingerprint })
  await store.writeOnce(record, text.length <= IDEMPOTENCY_MAX_RESULT ? text : idempotencyMarker(fingerprint), Math.min(IDEMPOTENCY_WINDOW_MS, sessionMaxAgeMs))
}
