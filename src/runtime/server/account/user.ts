import type { StorefrontUser } from '../../types'
import type { StorefrontSession } from '../session/session'
import { LEGACY_USER_FIELD, userFromRecord } from '../session/user-record'

/**
 * The logged-in user of a session: its user's record, read with the session in the same round trip; for a session
 * from before user records, the copy it holds itself.
 * @param session the request's session
 * @returns the user, or null for a guest (or a user whose record is gone)
 */
export function readSessionUser(session: StorefrontSession): StorefrontUser | null {
  if (!session.userId) return null
  const record = session.getUserRecord()
  if (record !== undefined) return userFromRecord(record)
  const legacy = session.getField(LEGACY_USER_FIELD)
  return legacy === undefined ? null : JSON.parse(legacy) as StorefrontUser
}
