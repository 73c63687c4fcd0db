import type { H3Event } from 'h3'
import type { EngineSession } from './engine-session'
import type { ResolvedShop } from './config'
import { readTransport } from './bearer'
import { toStoreError, withStoreTimeout } from './errors'
import type { Presented } from './presented'
import { presentValue, readPresented } from './presented'
import type { SessionRecord, SessionStore } from '../store/session'
import { hasFlashField, isFlashField, recordPairs } from '../store/record'
import { RequestSession } from './request-session'
import type { SessionHooks, SessionState } from './state'
import { FLASH } from './fields'
import { mutable } from './changes'
import { nodeRequestHeader } from '../internal/h3'

/** Options of {@link loadSession}. */
export interface LoadSessionOptions {
  /** Ignore the cookie and never save (static assets and cached routes). */
  detached?: boolean
  /**
   * The request's engine context: the session is put on it once loaded, and a failed load is taken off it so that a
   * later call can load again.
   */
  context?: { session?: Promise<EngineSession>, loaded?: EngineSession }
}

const NO_HOOKS: SessionHooks = {}
const NO_OPTIONS: LoadSessionOptions = {}

/**
 * Loads the session of a request: verifies the cookie, validates the id, then reads the store at most once.
 * @param event the request
 * @param shop the request's shop
 * @param store the shop's store
 * @param hooks lifecycle callbacks
 * @param options see {@link LoadSessionOptions}
 * @returns the session
 */
export function loadSession(event: H3Event, shop: ResolvedShop, store: SessionStore, hooks: SessionHooks = NO_HOOKS, options: LoadSessionOptions = NO_OPTIONS): Promise<EngineSession> {
  return openSession(event, shop, store, hooks, options.detached === true, options.context)
}

/**
 * {@link loadSession} with its options spread out, for the engine: no options object per request, and no async
 * function (one promise less between the store's answer and the caller).
 * @param event the request
 * @param shop the request's shop
 * @param store the shop's store
 * @param hooks lifecycle callbacks
 * @param detached ignore the cookie and never save
 * @param context the request's engine context, if any
 * @returns the session
 */
export function openSession(event: H3Event, shop: ResolvedShop, store: SessionStore, hooks: SessionHooks, detached: boolean, context: LoadSessionOptions['context']): Promise<EngineSession> {
  let presented: Presented | null | undefined
  let bearer = false
  if (detached) presented = undefined
  // A cookie-only shop never looks at the Authorization header: its read path is the cookie's alone.
  else if (!shop.bearer) presented = readPresented(shop, nodeRequestHeader(event, 'cookie'))
  else {
    try {
      const read = readTransport(event, shop, header => readPresented(shop, header), value => presentValue(shop, value))
      presented = read.presented
      bearer = read.bearer
    }
    catch (error) {
      return Promise.reject(error)
    }
  }
  const session = new RequestSession(event, shop, store, hooks, detached, presented !== undefined, bearer)
  if (!presented) {
    if (context) context.loaded = session
    return Promise.resolve(session)
  }
  const keys = presented.keys
  const profile = keys.profile
  const failed = (error: unknown): never => {
    // Runs after the caller has put the promise on the context: take it off, so that a later call can load again.
    if (context) context.session = undefined
    throw toStoreError('read', error)
  }
  // Started here, with no closure around it: a store that enforces the store timeout itself (Redis: its watchdog)
  // needs no timer per call, and its reads make two closures per request, the callbacks below.
  let reading: Promise<unknown>
  try {
    // A user session is read with its user's record, in the same round trip.
    if (store.timesOutItself) reading = profile ? store.readWithUser(keys.session, profile) : store.read(keys.session)
    else if (profile) reading = withStoreTimeout('read', shop.storeTimeoutMs, () => store.readWithUser(keys.session, profile))
    else reading = withStoreTimeout('read', shop.storeTimeoutMs, () => store.read(keys.session))
  }
  catch (error) {
    // A store that throws instead of rejecting fails the same way: a 503, and the load taken off the context.
    reading = Promise.reject(error)
  }
  if (hooks.sessionRead) hooks.sessionRead(event, shop, presented.info, keys.hash)
  if (profile) {
    return (reading as Promise<readonly [SessionRecord | null, SessionRecord | null]>).then(
      (records) => {
        open(session, presented, records[0], Date.now(), records[1])
        if (context) context.loaded = session
        return session
      },
      failed,
    )
  }
  return (reading as Promise<SessionRecord | null>).then(
    (record) => {
      open(session, presented, record, Date.now(), null)
      if (context) context.loaded = session
      return session
    },
    failed,
  )
}

/**
 * Takes in the record a valid cookie pointed at (and for a user session, the user's record); a missing, expired or
 * malformed one leaves a fresh guest. The absolute lifetime is checked against the creation time too, so that it
 * applies to sessions created before it was set or lowered.
 * @param session the new session's state
 * @param presented the verified cookie or token
 * @param record the record it points at, or null
 * @param now the time of the read
 * @param userRecord the user's record read with it, or null
 */
function open(session: SessionState, presented: Presented, record: SessionRecord | null, now: number, userRecord: SessionRecord | null) {
  const meta = record === null ? undefined : presented.metaOf(record)
  const absolute = session.shop.absoluteMaxAgeMs
  if (!record || !meta || meta.e <= now || (meta.a && meta.a <= now) || (absolute > 0 && meta.c + absolute <= now)) {
    session.hasEnded = true
    return
  }
  if (userRecord !== null) session.userRecord = userRecord
  session.info = presented.info
  session.keys = presented.keys
  session.exists = true
  session.storedMeta = meta
  session.record = record
  session.touch = now - meta.s >= session.shop.refreshIntervalMs
  if (hasFlashField(record)) {
    const pairs = (session.record = recordPairs(record))
    for (let i = 0; i < pairs.length; i += 2) {
      const field = pairs[i]!
      if (isFlashField(field)) {
        // A flash lives for this request only: read it here, delete it with this request's save.
        ;(session.incomingFlash ??= new Map()).set(field.slice(FLASH.length), pairs[i + 1]!)
        mutable(session).removed.add(field)
      }
    }
  }
}
