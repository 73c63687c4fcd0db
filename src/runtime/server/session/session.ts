// The session of a request: load.ts reads and opens it (cookie or bearer, then the store at most once),
// request-session.ts holds its state, fields.ts maps keys to record fields, changes.ts reads and writes them,
// reissue.ts changes its id (regenerate, login, destroy), commit.ts decides when to save and save.ts writes what
// changed. This file is their face.
import type { StorefrontSession } from '../../types/session'

export type { StorefrontSession }
export type { EngineSession } from './engine-session'
export { loadSession, openSession } from './load'
export type { LoadSessionOptions } from './load'
export type { SessionHooks } from './state'
export { sessionCookieOptions } from './cookie'
