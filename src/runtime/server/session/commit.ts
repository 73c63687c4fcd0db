import type { StorefrontSession } from '../../types/session'
import { logger } from '../log'
import { ensureId } from './reissue'
import { saveSession } from './save'
import type { SessionState } from './state'

// When a session is saved: at most once per change, never for a read-only request or a detached one, with the work
// other layers hand in (alongNextCommit) sharing the save's round trip.

const RESOLVED: Promise<void> = Promise.resolve()

/** A session as it is saved: its state, and the session the `created` hook is given. */
type Committed = SessionState & StorefrontSession

/**
 * Saves what the session changed; a read-only request makes no promise.
 * @param session the session's state
 * @returns when saved
 */
export function commit(session: Committed): Promise<void> {
  if (session.detached) {
    if (session.changes && session.changes.dirty.size > 0) {
      logger.warn(`session changes on ${session.event.path} are not saved: static assets and cached routes get no session`)
      session.changes.dirty.clear()
    }
    return RESOLVED
  }
  // A read-only request has nothing to save: no promise is made.
  const changes = session.changes
  if (!session.touch && !session.forceCreate && !session.cookieAction && !session.pendingRemovals?.length && !session.alongside?.length
    && (!changes || (changes.dirty.size === 0 && changes.removed.size === 0))) {
    return RESOLVED
  }
  return commitChanges(session)
}

/**
 * Makes sure the session exists in the store (creating an empty one if needed), then saves.
 * @param session the session's state
 */
export async function persist(session: Committed): Promise<void> {
  if (!session.exists) {
    ensureId(session)
    session.forceCreate = true
  }
  await commit(session)
}

async function commitChanges(session: Committed) {
  const alongside = session.alongside?.splice(0) ?? []
  const [created] = await Promise.all([saveSession(session), ...alongside.map(work => work())])
  if (created) {
    await session.hooks.created?.(session, session.event)
  }
}
