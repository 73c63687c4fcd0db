import { createHmac, timingSafeEqual } from 'node:crypto'
import type { ResolvedShop } from '../session/config'
import { hmacKey } from '../session/cookie'
import { SessionInputError } from '../session/errors'
import type { IndexedSession, SessionPageCursor, SessionPageRequest, SessionStore, SessionStoreKeys } from '../store/session'
import { hashSessionId } from '../session/id'
import { userKeys } from '../store/keys'
import type { EngineSession } from '../session/session'
import { withLabel } from '../session/label'
import { encodeMeta, META_FIELD, parseMeta } from '../store/record'
import type { StorefrontSessionInfo, StorefrontSessionListOptions } from '../../types/rpc'
import { parseUserAgent } from '../../shared/user-agent'

/**
 * The handle of one session in a user's device list: an HMAC of the user id and the session's store hash under the
 * shop's signing secret. It names the session to `revokeSession` without being its id (a credential) or its store
 * key, and a handle of one user means nothing for another.
 * @param shop the shop (its signing secret)
 * @param userId the user
 * @param hash the session's store hash
 * @returns 22 characters of base64url
 */
export function sessionHandle(shop: ResolvedShop, userId: string, hash: string): string {
  return createHmac('sha256', hmacKey(shop.secrets.at(-1)!)).update(`device-handle\n${userId}\n${hash}`).digest('base64url').slice(0, 22)
}

/**
 * The store hash behind a handle, among a user's live sessions.
 * @param shop the shop
 * @param userId the user
 * @param sessions the user's indexed sessions
 * @param handle what the client sent
 * @returns the hash, or undefined when no session of this user has that handle
 */
export function hashForHandle(shop: ResolvedShop, userId: string, sessions: IndexedSession[], handle: string): string | undefined {
  const given = Buffer.from(handle)
  return sessions.find(({ hash }) => {
    const own = Buffer.from(sessionHandle(shop, userId, hash))
    return own.length === given.length && timingSafeEqual(own, given)
  })?.hash
}

/**
 * One device list entry.
 * @param shop the shop
 * @param userId the user
 * @param entry the index entry and its meta field
 * @param currentHash the hash of the request's own session
 * @returns the entry a user sees, or undefined for a record whose meta field the engine would not load
 */
export function describeSession(shop: ResolvedShop, userId: string, entry: IndexedSession, currentHash: string | undefined): StorefrontSessionInfo | undefined {
  const m = parseMeta(entry.meta)
  if (!m) return undefined
  const userAgent = m.ua ?? ''
  return {
    handle: sessionHandle(shop, userId, entry.hash),
    current: entry.hash === currentHash,
    createdAt: m.c,
    lastSeenAt: m.s,
    expiresAt: m.e,
    userAgent,
    ...parseUserAgent(userAgent),
    label: typeof m.l === 'string' ? m.l : '',
  }
}

/**
 * The device list entries of a page of a user's index, in its order; a record whose meta field the engine would not
 * load (it is no session to the engine either) is left out.
 * @param shop the shop
 * @param userId the user
 * @param entries the index entries and their meta fields
 * @param currentHash the hash of the request's own session
 * @returns the entries a user sees
 */
export function describeSessions(shop: ResolvedShop, userId: string, entries: readonly IndexedSession[], currentHash: string | undefined): StorefrontSessionInfo[] {
  const described: StorefrontSessionInfo[] = []
  for (const entry of entries) {
    const info = describeSession(shop, userId, entry, currentHash)
    if (info) described.push(info)
  }
  return described
}

/**
 * Writes the label of another session of a user (a device of the list) into its meta field, keeping its expiry.
 * @param store the shop's store
 * @param keys the session's keys
 * @param meta its meta field as listed
 * @param label a cleaned label
 * @returns false when the session ended meanwhile (or its meta field is one the engine would not load)
 */
export function writeLabel(store: SessionStore, keys: SessionStoreKeys, meta: string, label: string): Promise<boolean> {
  const stored = parseMeta(meta)
  if (!stored) return Promise.resolve(false)
  const next = withLabel(stored, label)
  return store.update(keys, { set: { [META_FIELD]: encodeMeta(next) }, del: [] }, { ttlMs: Math.max(1, next.e - Date.now()), expiresAt: next.e })
}

/**
 * The one live session of a user with this device handle: its keys and meta, and whether it is the request's own.
 * @param request the request's session, and the guard that bounds a store step by the store timeout
 * @param request.session the request's session
 * @param request.guard runs a store step within the store timeout
 * @param shop the shop
 * @param store the shop's store
 * @param userId a validated user id
 * @param handle what the client sent
 * @returns undefined when no session of the user has that handle
 */
export async function findUserSession(
  request: { session: EngineSession, guard: <T>(operation: string, work: () => Promise<T>) => Promise<T> },
  shop: ResolvedShop,
  store: SessionStore,
  userId: string,
  handle: string,
) {
  if (typeof handle !== 'string') return undefined
  const keys = userKeys(shop.id, userId)
  // Page by page (each one bounded), until the handle is found.
  let hash: string | undefined
  let entries: IndexedSession[]
  let after: SessionPageCursor | undefined
  do {
    const listed = await request.guard('list sessions', () => store.listUserSessions(keys.index, keys.userSessionPrefix, Date.now(), { limit: MAX_SESSION_PAGE, after }))
    entries = listed.sessions
    hash = hashForHandle(shop, userId, entries, handle)
    after = listed.next ?? undefined
  } while (!hash && after)
  if (!hash) return undefined
  const { session } = request
  return {
    store,
    keys: { hash, session: keys.userSessionPrefix + hash, index: keys.index, profile: keys.profile } satisfies SessionStoreKeys,
    meta: entries.find(entry => entry.hash === hash)!.meta,
    current: session.userId === userId && !session.isNew && hash === hashSessionId(session.id),
  }
}

/** Sessions in one page of a device list by default, and at most. */
export const DEFAULT_SESSION_PAGE = 50
export const MAX_SESSION_PAGE = 200

const CURSOR = /^(\d{1,16}):(\d{1,6})$/

/**
 * The page a caller asked for.
 * @param options `limit` (1 to {@link MAX_SESSION_PAGE}, default {@link DEFAULT_SESSION_PAGE}) and `cursor` (from the page before)
 * @returns the store's page request
 * @throws a 400 for a limit out of range or a malformed cursor
 */
export function readPageRequest(options: StorefrontSessionListOptions): SessionPageRequest {
  const limit = options.limit ?? DEFAULT_SESSION_PAGE
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SESSION_PAGE) {
    throw new SessionInputError(`limit must be an integer from 1 to ${MAX_SESSION_PAGE}, got ${JSON.stringify(limit)}`)
  }
  if (options.cursor === undefined || options.cursor === null || options.cursor === '') return { limit }
  const match = typeof options.cursor === 'string' ? CURSOR.exec(options.cursor) : null
  if (!match) {
    throw new SessionInputError('cursor is invalid: pass the nextCursor of the page before')
  }
  return { limit, after: { score: match[1]!, count: Number(match[2]) } }
}

/**
 * The cursor a client gets for the next page: the index score (an expiry time) and how many entries of that score
 * were listed. It names no session.
 * @param next where the next page starts
 * @returns the cursor
 */
export function encodeCursor(next: SessionPageCursor): string {
  return `${next.score}:${next.count}`
}
