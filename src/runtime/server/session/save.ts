import { deleteCookie, setCookie } from 'h3'
import { TOKEN_HEADER } from './bearer'
import { signSessionId, sessionCookieOptions } from './cookie'
import { StoreUnavailableError, withStoreTimeout } from './errors'
import type { StoredMeta } from './meta'
import { sessionExpiry, userAgent } from './meta'
import { encodeMeta, isFlashField, META_FIELD as META } from '../store/record'
import type { SessionFields } from '../store/session'
import { logRateLimited } from '../log'
import type { Changes, PendingRemoval, SessionState } from './state'
import { setNodeResponseHeader } from '../internal/h3'
import { ownerDataKeys } from '../store/keys'
import { mutable, writeField } from './changes'
import { ensureId, resetToGuest } from './reissue'
import { resealIfStale, TOKENS_FIELD } from './sealed'

/**
 * Removes a record the session left.
 * @param session the session
 * @param removal the record
 * @returns undefined once removed, else why it was not (never rejects)
 */
function tryRemove(session: SessionState, removal: PendingRemoval): Promise<unknown> {
  return guardStore(session, 'remove', () => session.store.remove(removal.keys)).then(() => undefined, (error: unknown) => error ?? new Error('remove failed'))
}

/**
 * Whether a failed write is known to have been applied on the primary (a durable write whose replicas did not confirm
 * in time), found anywhere in the error's chain of causes.
 * @param error what the write failed with
 * @returns true when the primary applied it
 */
function appliedOnPrimary(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    if ((cause as { appliedOnPrimary?: unknown }).appliedOnPrimary === true) return true
  }
  return false
}

function guardStore<T>(session: SessionState, operation: string, work: () => Promise<T>): Promise<T> {
  return withStoreTimeout(operation, session.store.timesOutItself ? 0 : session.shop.storeTimeoutMs, work)
}

/** Tokens stored in clear or sealed under an older secret are sealed under the signing secret by any write. */
function resealTokens(session: SessionState, changes: Changes) {
  const stored = changes.fields.get(TOKENS_FIELD)
  const resealed = stored === undefined ? undefined : resealIfStale(session.shop, stored)
  if (resealed !== undefined) writeField(session, TOKENS_FIELD, resealed)
}

/**
 * Writes what a session changed: creates its record, or updates it (and refreshes its lifetime), removes the records
 * it left, then sets or clears the cookie (or the bearer header).
 * @param session the request's session
 * @returns true when it created the record
 */
export async function saveSession(session: SessionState): Promise<boolean> {
  const shop = session.shop
  const store = session.store
  const event = session.event
  const changes = mutable(session)
  const at = Date.now()
  let created = false
  // Removals done with the create, and why each one failed (undefined: removed).
  const removedEarly = new Map<PendingRemoval, unknown>()
  if (!session.exists && (changes.dirty.size > 0 || session.forceCreate)) {
    ensureId(session)
    const keys = session.keys!
    const createdAt = session.forceCreate && session.storedMeta ? session.storedMeta.c : at
    const { expiresAt, absolute } = sessionExpiry(shop, createdAt, at)
    const label = session.label
    const meta: StoredMeta = { c: createdAt, s: at, e: expiresAt, ...(absolute ? { a: absolute } : {}), ua: userAgent(event), ...(label ? { l: label } : {}) }
    session.storedMeta = meta
    session.pendingLabel = undefined
    resealTokens(session, changes)
    const record: SessionFields = { [META]: encodeMeta(meta) }
    for (const [field, value] of changes.fields) record[field] = value
    // A login ends the guest session in the round trip that creates the user's: the merge is done by then, and a
    // create that fails leaves the shopper a fresh guest whose basket is already the user's.
    const ended = session.info!.kind === 'user' ? session.pendingRemovals?.filter(removal => removal.userId === undefined) : undefined
    const [stored, ...failures] = await Promise.all([
      guardStore(session, 'create', () => store.create(keys, record, { ttlMs: expiresAt - at, expiresAt }, { maxPerUser: shop.maxSessionsPerUser })),
      ...(ended ?? []).map(removal => tryRemove(session, removal)),
    ])
    if (!stored) {
      throw new StoreUnavailableError('create (id collision)')
    }
    ended?.forEach((removal, i) => removedEarly.set(removal, failures[i]))
    session.exists = true
    session.forceCreate = false
    created = true
    session.cookieAction = 'set'
  }
  else if (session.exists && (changes.dirty.size > 0 || changes.removed.size > 0 || session.touch)) {
    const keys = session.keys!
    // A request that only refreshes (nothing written) must still answer when the refresh fails (a store out of
    // memory, say): the refresh is best effort, and the next request tries again.
    // (The flash session request read is dropped by the same save: a refresh that fails leaves it for the next one.)
    const refreshOnly = changes.dirty.size === 0 && !session.pendingRemovals?.length && [...changes.removed].every(isFlashField)
    const before = session.storedMeta
    const refreshed = session.touch
    if (session.touch) {
      const { expiresAt } = sessionExpiry(shop, session.storedMeta!.c, at)
      session.storedMeta = { ...session.storedMeta!, s: at, e: expiresAt }
      changes.dirty.add(META)
      session.cookieAction = 'set'
    }
    resealTokens(session, changes)
    const meta = session.storedMeta!
    const set: SessionFields = {}
    for (const field of changes.dirty) set[field] = field === META ? encodeMeta(meta) : changes.fields.get(field)!
    let updated: boolean
    try {
      // A guest's refresh takes its basket and wishlist along: they live as long as the guest session.
      const target = refreshed && !keys.index ? { ...keys, follow: ownerDataKeys(keys.owner) } : keys
      updated = await guardStore(session, 'update', () => store.update(target, { set, del: [...changes.removed] }, { ttlMs: Math.max(1, meta.e - at), expiresAt: meta.e }))
    }
    catch (error) {
      if (!refreshOnly) throw error
      logRateLimited('session refresh', `a rolling session refresh failed and is tried again on a later request: ${(error as Error)?.message ?? error}`)
      session.storedMeta = before
      changes.dirty.clear()
      session.touch = false
      session.cookieAction = undefined
      return false
    }
    if (!updated) {
      // Destroyed meanwhile (logout elsewhere, destroy-all, expiry): never resurrect it.
      resetToGuest(session)
      session.cookieAction = 'clear'
    }
  }
  const removals = session.pendingRemovals
  while (removals && removals.length > 0) {
    const removal = removals[0]!
    const failure = removedEarly.has(removal) ? removedEarly.get(removal) : await tryRemove(session, removal)
    if (failure !== undefined) {
      // Once the new record exists, the shopper holds on to it when the record it replaced can no longer sign anybody
      // in: a guest's (a login's pre-login id is a guest at most, never the user), or one the primary removed and only
      // its replicas did not confirm (durable mode in a failover). The save then answers with the new cookie rather
      // than a 503 that leaves the shopper an id whose record is gone. A user's record whose removal may not have
      // happened (a regenerate, a re-login) fails the save, so that the old id never authenticates after it; so does a
      // destroyed session's.
      if (!created || !removal.replaced || (removal.userId !== undefined && !appliedOnPrimary(failure))) throw failure
      logRateLimited('session replace', `the session a new one replaced could not be removed or its removal was not confirmed: ${(failure as Error)?.message ?? failure}`)
    }
    removals.shift()
    if (failure === undefined) await session.hooks.destroyed?.({ shopId: shop.id, userId: removal.userId }, event)
  }
  // After a reset the changes are new and empty; otherwise what was just saved is no longer pending.
  if (session.changes) {
    session.changes.dirty.clear()
    session.changes.removed.clear()
  }
  session.touch = false
  if (session.cookieAction === 'set' && session.exists) {
    const value = signSessionId(session.info!.id, shop.secrets.at(-1)!)
    // A bearer client gets the same signed value in a response header, never as a cookie.
    if (session.bearer) setNodeResponseHeader(event, TOKEN_HEADER, value)
    else setCookie(event, shop.cookieName, value, sessionCookieOptions(shop, Math.floor((session.storedMeta!.e - at) / 1000)))
  }
  else if (session.cookieAction === 'clear' && session.presentedCookie) {
    if (session.bearer) setNodeResponseHeader(event, TOKEN_HEADER, '')
    else deleteCookie(event, shop.cookieName, sessionCookieOptions(shop, 0))
  }
  session.cookieAction = undefined
  return created
}
