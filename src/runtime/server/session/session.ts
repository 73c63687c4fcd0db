// The session of a request: load.ts reads it (cookie or bearer, then the store at most once), request-session.ts
// holds it, fields.ts maps keys to record fields, save.ts writes what changed. This file is their face.
import type { StorefrontSession } from '../../types/session'

export type { StorefrontSession }
export { loadSession, openSession } from './load'
export type { LoadSessionOptions } from './load'
export type { SessionHooks } from './state'
export { sessionCookieOptions } from './cookie'
