import type { StorefrontTokens, StorefrontUser } from '../../types'
import type { ResolvedShop } from '../session/config'
import { SessionInputError, SessionLimitError, StorefrontHttpError } from '../session/errors'
import { userKeys } from '../store/keys'
import { openValue, sealValue, TOKENS_FIELD } from '../session/sealed'
import type { EngineSession } from '../session/session'
import type { UserRecordWrite } from '../store/session'
import { applyUserWrite, LEGACY_USER_FIELD, userChanges, userFields, userFromRecord } from '../session/user-record'
import type { AccountRequest } from './request'
import { guardStoreStep } from './request'

/** What a missing login is answered with, when the app wants another status or message than the default. */
export interface NotLoggedInOptions {
  /** The status (default 401; a 401 carries a `WWW-Authenticate` challenge). */
  status?: number
  /** The problem's detail (default `not logged in`). */
  message?: string
}

/**
 * The one answer to a request that needs a login and has none: a 401 `application/problem+json` (the error handler
 * adds the `WWW-Authenticate` challenge). Thrown by `requireStorefrontUser`, the RPC context and `requireRpcUser`.
 */
export class NotLoggedInError extends StorefrontHttpError {
  override name = 'NotLoggedInError'
  constructor(options: NotLoggedInOptions = {}) {
    const status = options.status ?? 401
    super(status, status === 401 ? 'Unauthorized' : 'Forbidden', options.message ?? 'not logged in')
  }
}

/**
 * The logged-in user of a session: its user's record, read with the session in the same round trip; for a session
 * from before user records, the copy it holds itself.
 * @param session the request's session
 * @returns the user, or null for a guest (or a user whose record is gone)
 */
export function readSessionUser(session: EngineSession): StorefrontUser | null {
  if (!session.userId) return null
  const record = session.getUserRecord()
  if (record !== undefined) return userFromRecord(record)
  const legacy = session.getField(LEGACY_USER_FIELD)
  return legacy === undefined ? null : JSON.parse(legacy) as StorefrontUser
}

/**
 * The logged-in user of a session, or the {@link NotLoggedInError}.
 * @param session the request's session
 * @param options the status and message of the error
 * @returns the user
 */
export function requireSessionUser(session: EngineSession, options?: NotLoggedInOptions): StorefrontUser {
  const user = readSessionUser(session)
  if (!user) throw new NotLoggedInError(options)
  return user
}

/**
 * The tokens stored at login, opened with whichever configured secret sealed them.
 * @param request the request
 * @returns the tokens, or null
 */
export function readSessionTokens(request: AccountRequest): StorefrontTokens | null {
  const { session, shop } = request
  const stored = session.userId ? session.getField(TOKENS_FIELD) : undefined
  const plain = stored === undefined ? undefined : openValue(shop, stored)
  return plain === undefined ? null : JSON.parse(plain) as StorefrontTokens
}

/**
 * Changes the logged-in user's fields. Only the fields that changed since this request read the user are merged into
 * the stored record, so that a concurrent edit of another field survives. A session from before user records gets a
 * whole record.
 * @param request the request
 * @param user the user, with the same id
 */
export function updateSessionUser(request: AccountRequest, user: StorefrontUser): void {
  const { session } = request
  const current = requireSessionUser(session)
  if (!user || user.id !== current.id) {
    throw new SessionInputError('updateUser cannot change the user id')
  }
  const legacy = session.getUserRecord() === undefined
  const write: UserRecordWrite = legacy ? { set: userFields(user), del: [], replace: true } : userChanges(current, user)
  if (!legacy && Object.keys(write.set).length === 0 && write.del.length === 0) return
  writeUserRecord(request, write, user)
  if (legacy) session.setField(LEGACY_USER_FIELD, undefined)
}

/**
 * Replaces the logged-in user's tokens, sealed at rest.
 * @param request the request
 * @param tokens the tokens
 */
export function updateSessionTokens(request: AccountRequest, tokens: StorefrontTokens): void {
  requireSessionUser(request.session)
  request.session.setField(TOKENS_FIELD, sealValue(request.shop, JSON.stringify(tokens)))
}

/**
 * Writes the user's record (one per user and shop, read by every session of the user) alongside the next save, in
 * its round trip, and shows it to the rest of this request. A merge into a record that has gone meanwhile writes
 * the whole user instead.
 * @param request the request
 * @param write the change
 * @param user the whole user, for a record that has gone
 */
export function writeUserRecord(request: AccountRequest, write: UserRecordWrite, user: StorefrontUser): void {
  const { session, shop, runtime } = request
  const keys = userKeys(shop.id, session.userId!)
  const record = applyUserWrite(session.getUserRecord(), write)
  checkUserRecordSize(shop, record)
  session.setUserRecord(record)
  session.alongNextCommit(() => guardStoreStep(shop, 'user write', async () => {
    const store = await runtime.sessionsFor(shop)
    if (await store.writeUser(keys.profile, keys.index, write, shop.maxAgeMs)) return
    await store.writeUser(keys.profile, keys.index, { set: userFields(user), del: [], replace: true }, shop.maxAgeMs)
  }))
}

/**
 * The user's record has the session data's bound, counted the same way: UTF-8 bytes of names and values as stored.
 * @param shop the shop (its maxDataSize)
 * @param pairs names and values
 */
export function checkUserRecordSize(shop: ResolvedShop, pairs: readonly string[]): void {
  const bytes = pairs.reduce((total, part) => total + Buffer.byteLength(part) + 1, 0)
  if (bytes > shop.maxDataSize) {
    throw new SessionLimitError(`the user record would be ${bytes} bytes, over the limit of ${shop.maxDataSize}`)
  }
}
