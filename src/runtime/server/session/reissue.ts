import type { SessionIdInfo } from './id'
import { createGuestId, createUserSessionId } from './id'
import { sessionKeys } from '../store/keys'
import { isDataField } from './fields'
import { mutable, writeField } from './changes'
import type { SessionState } from './state'

// A session's id over a request: made on first use, re-issued by regenerate and a login (the old record is removed
// by the save), dropped by destroy.

/**
 * The session's id, made for a guest on first use (stored only by the first write).
 * @param session the session's state
 * @returns the id
 */
export function ensureId(session: SessionState): SessionIdInfo {
  if (!session.info) {
    session.info = { kind: 'guest', id: createGuestId() }
    session.keys = sessionKeys(session.shop.id, session.info)
  }
  return session.info
}

function scheduleRemoval(session: SessionState, replaced: boolean) {
  const info = session.info
  ;(session.pendingRemovals ??= []).push({ keys: session.keys!, userId: info?.kind === 'user' ? info.userId : undefined, replaced })
}

function reissue(session: SessionState, next: SessionIdInfo) {
  if (session.exists) {
    scheduleRemoval(session, true)
    session.exists = false
    session.forceCreate = true
    const changes = mutable(session)
    for (const field of changes.fields.keys()) changes.dirty.add(field)
    changes.removed.clear()
  }
  session.info = next
  session.keys = sessionKeys(session.shop.id, next)
}

/**
 * Forgets the session's id, record and changes: the request carries on as a guest who has not written yet.
 * @param session the session's state
 */
export function resetToGuest(session: SessionState): void {
  session.info = undefined
  session.keys = undefined
  session.exists = false
  session.forceCreate = false
  session.storedMeta = undefined
  session.touch = false
  session.record = undefined
  session.recordIndex = undefined
  session.changes = undefined
  session.userRecord = undefined
  session.pendingLabel = undefined
}

/**
 * Issues a new id of the same kind (a user's stays the user's), keeping the data; the old id goes with the save.
 * @param session the session's state
 */
export function regenerate(session: SessionState): void {
  const current = ensureId(session)
  reissue(session, current.kind === 'user' ? { kind: 'user', userId: current.userId, id: createUserSessionId(current.userId) } : { kind: 'guest', id: createGuestId() })
}

/**
 * Deletes the session with the save and clears its cookie; the request carries on as a fresh guest.
 * @param session the session's state
 */
export function destroy(session: SessionState): void {
  if (session.exists) {
    scheduleRemoval(session, false)
  }
  resetToGuest(session)
  session.incomingFlash = undefined
  session.cookieAction = 'clear'
}

/**
 * Re-issues the session under `<userId>:<uuid>`, created with the save (a fresh absolute lifetime). For the same
 * user the data and label stay; from a guest only the guest-portable keys; from another user nothing.
 * @param session the session's state
 * @param userId a validated user id
 */
export function bindToUser(session: SessionState, userId: string): void {
  const current = session.info
  const sameUser = current?.kind === 'user' && current.userId === userId
  // A login as the same user keeps the device's label; another principal starts without one.
  session.pendingLabel = sameUser ? session.label || undefined : undefined
  if (!sameUser) {
    // A new principal starts clean: nothing of another user's session carries over, and of a guest's only the keys
    // the app marks as guest-portable. What does not carry over is dropped before the re-issue copies the rest.
    const portable = session.shop.guestPortableFields
    const keep = current?.kind === 'user' ? undefined : portable.has('*') ? isDataField : (field: string) => portable.has(field)
    if (session.changes || session.record) {
      for (const field of [...mutable(session).fields.keys()]) {
        if (!keep?.(field)) writeField(session, field, undefined)
      }
    }
    session.incomingFlash = undefined
    session.userRecord = undefined
  }
  reissue(session, { kind: 'user', userId, id: createUserSessionId(userId) })
  // A login starts a new session: created now, with a fresh absolute lifetime.
  session.storedMeta = undefined
  session.forceCreate = true
}
