import type { H3Event } from 'h3'
import type { StorefrontSession } from '../../types/session'
import type { SessionKeys } from '../store/keys'
import type { SessionStore } from '../store/session'
import type { ResolvedShop } from './config'
import type { SessionIdInfo } from './id'
import type { StoredMeta } from './meta'

/** Callbacks the engine passes to every session. */
export interface SessionHooks {
  created?: (session: StorefrontSession, event: H3Event) => void | Promise<void>
  destroyed?: (info: { shopId: string, userId?: string }, event: H3Event) => void | Promise<void>
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

/** What saving reads and changes of a request's session (save.ts); the session itself is request-session.ts. */
export interface SessionState {
  readonly shopId: string
  event: H3Event
  shop: ResolvedShop
  store: SessionStore
  hooks: SessionHooks
  presentedCookie: boolean
  bearer: boolean
  info: SessionIdInfo | undefined
  keys: SessionKeys | undefined
  exists: boolean
  forceCreate: boolean
  touch: boolean
  storedMeta: StoredMeta | undefined
  changes: Changes | undefined
  pendingRemovals: { keys: SessionKeys, userId?: string }[] | undefined
  cookieAction: 'set' | 'clear' | undefined
  pendingLabel: string | undefined
  readonly label: string
  mutable(): Changes
  ensureId(): SessionIdInfo
  resetToGuest(): void
  resealTokens(changes: Changes): void
  guardStore<T>(operation: string, work: () => Promise<T>): Promise<T>
}
