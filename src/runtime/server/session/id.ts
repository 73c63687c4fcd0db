import { createHash } from 'node:crypto'
import { v4 as uuidv4 } from 'uuid'
import { createBoundedMap } from './bounded-map'
import { describeValue, SessionInputError } from './errors'

const UUID_V4 = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
const GUEST_ID = new RegExp(`^${UUID_V4}$`)
const USER_ID = /^[\w-]{1,64}$/
const USER_SESSION_ID = new RegExp(`^([\\w-]{1,64}):(${UUID_V4})$`)

/** A parsed, validated session id. */
export type SessionIdInfo
  = | { kind: 'guest', id: string }
    | { kind: 'user', id: string, userId: string }

/**
 * Creates a guest session id: a random UUID v4.
 * @returns a new guest id
 */
export function createGuestId(): string {
  return uuidv4()
}

/**
 * Creates a user-bound session id, `<userId>:<uuid v4>`.
 * @param userId a user id that passes {@link isValidUserId}
 * @returns the new session id
 * @throws a 400 (SessionInputError) for any other user id
 */
export function createUserSessionId(userId: string): string {
  if (!isValidUserId(userId)) {
    throw new SessionInputError(`invalid user id ${describeValue(userId)}: use 1 to 64 characters from A-Z a-z 0-9 _ -`)
  }
  return `${userId}:${uuidv4()}`
}

/**
 * Tells whether a user id is safe to become part of a session id and a store key:
 * 1 to 64 characters from `A-Z a-z 0-9 _ -`.
 * @param userId the value to check
 * @returns true when it is safe
 */
export function isValidUserId(userId: unknown): userId is string {
  return typeof userId === 'string' && USER_ID.test(userId)
}

/**
 * Validates a session id before it may reach the store.
 * @param id the id taken from a verified cookie
 * @returns what kind of id it is, or null when it is malformed
 */
export function parseSessionId(id: string): SessionIdInfo | null {
  if (id.length === 36) {
    return GUEST_ID.test(id) ? { kind: 'guest', id } : null
  }
  const match = id.length <= 101 ? USER_SESSION_ID.exec(id) : null
  return match ? { kind: 'user', id, userId: match[1]! } : null
}

/**
 * The form a session id is stored under: SHA-256, base64url. A dump of the store yields no usable cookie.
 * @param id a session id
 * @returns 43 base64url characters
 */
export function hashSessionId(id: string): string {
  let hash = hashes.get(id)
  if (hash === undefined) {
    hash = createHash('sha256').update(id).digest('base64url')
    hashes.set(id, hash)
  }
  return hash
}

// The hashes of recently seen ids: a repeat visitor skips the SHA-256.
const hashes = createBoundedMap<string, string>(10_000)
