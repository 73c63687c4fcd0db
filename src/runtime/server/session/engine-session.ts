import type { StorefrontSession } from '../../types/session'

/**
 * A request's session as the module's own layers see it (account, RPC, the engine's face for tests, the bench and
 * bare h3): the public {@link StorefrontSession} and the engine's internals. Apps get the public type only
 * (`useStorefrontSession`, the RPC context, hooks), so that an internal change is no public change.
 */
export interface EngineSession extends StorefrontSession {
  /** Makes sure the session exists in the store (creating an empty one if needed), then saves. */
  persist: () => Promise<void>
  /** Reads an internal field (user, tokens). */
  getField: (field: string) => string | undefined
  /** Writes (or with undefined, removes) an internal field. */
  setField: (field: string, value: string | undefined) => void
  /**
   * Re-issues the session under `<userId>:<uuid>`; the old id dies when the request ends. For the same user the data
   * stays; from a guest only the keys of `session.guestPortableKeys` carry over; from another user nothing does.
   */
  bindToUser: (userId: string) => void
  /** The user's record (one per user and shop) as read with the session or written since. */
  getUserRecord: () => readonly string[] | string | undefined
  /** Replaces what {@link EngineSession.getUserRecord} returns for the rest of the request. */
  setUserRecord: (record: readonly string[] | string | undefined) => void
  /** Runs work alongside the next save (its store commands share the save's round trip); the save fails if it fails. */
  alongNextCommit: (work: () => Promise<void>) => void
}
