import type { StorefrontSessionData, StorefrontSessionMeta } from './user'

/**
 * The values a session holds: any JSON under any key until the app augments {@link StorefrontSessionData}; from then
 * on only the keys it declares, with their types, so that a misspelt key is a type error.
 */
export type StorefrontSessionValues = [keyof StorefrontSessionData] extends [never] ? Record<string, unknown> : StorefrontSessionData
/** A key of {@link StorefrontSessionValues}. */
export type StorefrontSessionKey = keyof StorefrontSessionValues & string
type Data = StorefrontSessionValues
type DataKey = StorefrontSessionKey

/** A shopper's session for one request. Reads are synchronous; changes are saved once, when the request ends. */
export interface StorefrontSession {
  /** The shop this session belongs to. */
  readonly shopId: string
  /** The current id. A guest who has not written yet gets one here that is not stored until the first write. */
  readonly id: string
  /** True until the session exists in the store. */
  readonly isNew: boolean
  /** For user-bound sessions, the user id part of the id. */
  readonly userId: string | undefined
  /** Created, last seen, expiry and user agent; undefined before the first save. */
  readonly meta: StorefrontSessionMeta | undefined
  /**
   * True when the request presented a valid signed cookie whose session no longer exists (expired, logged out, or
   * replaced by a login). The request runs as a fresh guest.
   */
  readonly ended: boolean
  /**
   * How the session travels back to the client: `'cookie'`, or `'bearer'` (the `X-Storefront-Session-Token` response
   * header) for a request that sent `Authorization: Bearer` or `X-Storefront-Transport: bearer` to a shop whose
   * `session.transports` lists `'bearer'`.
   */
  readonly transport: 'cookie' | 'bearer'
  /** The device label (`"Alice's iPhone"`) shown in the user's session list; `''` when none. */
  readonly label: string
  /**
   * Sets the device label, saved with the request (control and format characters stripped, trimmed, at most 64
   * characters; `''` removes it). It survives regenerate and a login as the same user.
   * @throws a 400 for anything but a string, or a longer one
   */
  setLabel: (label: string) => void
  /** Reads a value. */
  get: (<K extends DataKey>(key: K) => Data[K] | undefined) & (<K extends DataKey>(key: K, fallback: Data[K]) => Data[K])
  /** Writes a value (JSON-serialisable); `undefined` forgets the key. */
  put: <K extends DataKey>(key: K, value: Data[K]) => void
  /** Removes a value. */
  forget: (key: DataKey) => void
  /** Removes every value (the login, if any, stays). */
  flush: () => void
  /** Tells whether a value is set. */
  has: (key: DataKey) => boolean
  /** A copy of every value. */
  all: () => Partial<Data>
  /** Stores a value readable through getFlash during the next request only. */
  flash: (key: string, value: unknown) => void
  /** Reads a value flashed by the previous request. */
  getFlash: <T = unknown>(key: string, fallback?: T) => T | undefined
  /** Issues a new id, keeps the data, and deletes the old id when the request ends. */
  regenerate: () => void
  /** Deletes the session and clears the cookie; the request carries on as a fresh guest. */
  destroy: () => void
  /** Saves now instead of when the response is sent. Safe to call more than once. */
  commit: () => Promise<void>
}
