import type { StorefrontUser } from '../../types'
import { SessionInputError } from './errors'
import { recordPairs } from '../store/record'
import type { SessionFields, SessionRecord, UserRecordWrite } from '../store/session'

/** The session field that held the user before users had a record of their own; read when no record exists. */
export const LEGACY_USER_FIELD = 'u'

/**
 * The user a user's record holds: each field is a top-level key of the user, its value a JSON text.
 * @param record the record as a store read it
 * @returns the user
 */
export function userFromRecord(record: SessionRecord): StorefrontUser {
  const pairs = recordPairs(record)
  const user: Record<string, unknown> = {}
  // Assigned one by one, with no array of entries per field (every logged-in request builds its user here). A key
  // named __proto__ is defined as an own property, as fromEntries would: it never becomes the prototype.
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const key = pairs[i]!
    const value: unknown = JSON.parse(pairs[i + 1]!)
    if (key === PROTO) Object.defineProperty(user, key, { value, enumerable: true, writable: true, configurable: true })
    else user[key] = value
  }
  return user as unknown as StorefrontUser
}

const PROTO = '__proto__'

/**
 * A user as record fields: top-level keys and their values as JSON texts.
 * @param user the user
 * @returns the fields
 * @throws SessionInputError for a key that is empty or holds a line feed (the store keeps records as lines)
 */
export function userFields(user: StorefrontUser): SessionFields {
  const fields: SessionFields = {}
  for (const [key, value] of Object.entries(user)) {
    if (key.length === 0 || key.includes('\n')) {
      throw new SessionInputError(`user key ${JSON.stringify(key)} is empty or holds a line feed`)
    }
    if (value !== undefined) fields[key] = JSON.stringify(value)
  }
  return fields
}

/**
 * The write that turns one user into another, field by field: only what changed is sent, so that two concurrent
 * edits of different fields both survive.
 * @param before the user as this request read it
 * @param after the user as it should be
 * @returns the merge write
 */
export function userChanges(before: StorefrontUser | null, after: StorefrontUser): UserRecordWrite {
  const previous = before ? userFields(before) : {}
  const next = userFields(after)
  const set: SessionFields = {}
  for (const [key, value] of Object.entries(next)) {
    if (previous[key] !== value) set[key] = value
  }
  const del = Object.keys(previous).filter(key => !Object.hasOwn(next, key))
  return { set, del, replace: false }
}

/**
 * A record with a write applied, as this request shows it until the next load.
 * @param record the record as read, if any
 * @param write the write
 * @returns the record as pairs
 */
export function applyUserWrite(record: SessionRecord | undefined, write: UserRecordWrite): string[] {
  const fields = new Map<string, string>()
  if (record && !write.replace) {
    const pairs = recordPairs(record)
    for (let i = 0; i + 1 < pairs.length; i += 2) fields.set(pairs[i]!, pairs[i + 1]!)
  }
  for (const [key, value] of Object.entries(write.set)) fields.set(key, value)
  for (const key of write.del) fields.delete(key)
  return [...fields].flat()
}
