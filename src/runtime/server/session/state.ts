import type { H3Event } from 'h3'
import type { StorefrontSession } from '../../types/session'
import type { SessionKeys } from '../store/keys'
import type { SessionRecord, SessionStore } from '../store/session'
import type { ResolvedShop } from './config'
import type { SessionIdInfo } from './id'
import type { StoredMeta } from './meta'

/**
 * A record the next save removes. `replaced` marks the one a re-issue (a login, `regenerate`) leaves behind, which a
 * save may fail to remove once the new record exists; a destroyed session's record has to go, or the save fails.
 */
export interface PendingRemoval {
  keys: SessionKeys
  userId?: string
  replaced: boolean
}

/** Callbacks the engine passes to every session. */
export interface SessionHooks {
  created?: (session: StorefrontSession, event: H3Event) => void | Promise<void>
  destroyed?: (info: { shopId: string, userId?: string }, event: H3Event) => void | Promise<void>
  /**
   * Called in the same tick as a session's read is sent, once its cookie or token is verified (`hash`: the hash of
   * its id): a read started here goes out in the same round trip (auto-pipelining). Must not throw.
   */
  sessionRead?: (event: H3Event, shop: ResolvedShop, info: SessionIdInfo, hash: string) => void
}

/** The change tracking of a session that is written to; made on the first write, so a read-only request has none. */
export interface Changes {
  /** Every field but meta and incoming flash, as it will be saved. */
  fields: Map<string, string>
  /** UTF-8 bytes of field names and values with their line feeds, as stored; checked against `maxDataSize`. */
  size: number
  dirty: Set<string>
  removed: Set<string>
}

/**
 * The state of a request's session, as plain properties. request-session.ts holds it; the functions over it live by
 * what they do: changes.ts reads and writes fields, reissue.ts changes the id, commit.ts and save.ts write it out.
 */
export interface SessionState {
  readonly shopId: string
  event: H3Event
  shop: ResolvedShop
  store: SessionStore
  hooks: SessionHooks
  /** Ignores the cookie and never saves (static assets and cached routes). */
  detached: boolean
  presentedCookie: boolean
  bearer: boolean
  info: SessionIdInfo | undefined
  keys: SessionKeys | undefined
  exists: boolean
  hasEnded: boolean
  forceCreate: boolean
  touch: boolean
  storedMeta: StoredMeta | undefined
  /** The record as the store returned it (never changed: a store may hand out a shared object), or its pairs. */
  record: SessionRecord | undefined
  recordIndex: Map<string, string> | undefined
  changes: Changes | undefined
  incomingFlash: Map<string, string> | undefined
  pendingRemovals: PendingRemoval[] | undefined
  alongside: (() => Promise<void>)[] | undefined
  cookieAction: 'set' | 'clear' | undefined
  userRecord: SessionRecord | undefined
  /** A label set before the session has meta (a guest's first write, a login); stored with the meta it creates. */
  pendingLabel: string | undefined
  readonly label: string
}
