import type { StorefrontSessionList, StorefrontSessionListOptions } from '../../types/rpc'
import { hashSessionId, parseSessionId } from '../session/id'
import { cleanSessionLabel } from '../session/label'
import { userKeys } from '../store/keys'
import { hasHookListeners } from '../internal/hookable'
import { describeSessions, encodeCursor, findUserSession, readPageRequest, writeLabel } from './device-list'
import { endSession } from './logout'
import type { AccountRequest } from './request'
import { checkUserId, guardStoreStep } from './request'

/**
 * One page of a user's live sessions (devices), the request's own marked `current`.
 * @param request the request
 * @param userId the user
 * @param options `limit` (1 to 200, default 50) and `cursor` (the `nextCursor` of the page before)
 * @returns the page, the cursor of the next one (null at the end) and the total
 */
export async function listUserSessions(request: AccountRequest, userId: string, options: StorefrontSessionListOptions = {}): Promise<StorefrontSessionList> {
  const { session, shop, runtime } = request
  const keys = userKeys(shop.id, checkUserId(userId))
  const page = readPageRequest(options)
  const store = await runtime.sessionsFor(shop)
  const listed = await guardStoreStep(shop, 'list sessions', () => store.listUserSessions(keys.index, keys.userSessionPrefix, Date.now(), page))
  const currentHash = session.userId === userId && !session.isNew ? hashSessionId(session.id) : undefined
  return {
    sessions: describeSessions(shop, userId, listed.sessions, currentHash),
    nextCursor: listed.next ? encodeCursor(listed.next) : null,
    total: listed.total,
  }
}

/**
 * Deletes every session of a user but the ones to keep, and calls `storefront:session:destroyed` when any went.
 * @param request the request
 * @param userId the user
 * @param sessionsToKeep session ids to keep (the request's own, say); anything else in the list is ignored
 * @returns how many sessions were deleted
 */
export async function destroyUserSessions(request: AccountRequest, userId: string, sessionsToKeep: string[] = []): Promise<number> {
  const { shop, runtime, event } = request
  const keys = userKeys(shop.id, checkUserId(userId))
  const keep = sessionsToKeep.filter(id => typeof id === 'string' && parseSessionId(id)).map(hashSessionId)
  const store = await runtime.sessionsFor(shop)
  const destroyed = await guardStoreStep(shop, 'destroy sessions', () => store.removeUserSessions(keys.index, keys.userSessionPrefix, keep))
  if (destroyed > 0 && hasHookListeners(runtime.hooks, 'storefront:session:destroyed')) {
    await runtime.hooks.callHook('storefront:session:destroyed', { shopId: shop.id, userId, event })
  }
  return destroyed
}

/**
 * Names one of a user's sessions by its device handle; the request's own is renamed in its save.
 * @param request the request
 * @param userId the user
 * @param handle the device handle from the list
 * @param label the new name
 * @returns false when no live session of the user has that handle
 */
export async function labelUserSession(request: AccountRequest, userId: string, handle: string, label: string): Promise<boolean> {
  const clean = cleanSessionLabel(label)
  const found = await findByHandle(request, userId, handle)
  if (!found) return false
  if (found.current) {
    request.session.setLabel(clean)
    return true
  }
  return guardStoreStep(request.shop, 'label session', () => writeLabel(found.store, found.keys, found.meta, clean))
}

/**
 * Ends one of a user's sessions by its device handle (the request's own is a logout), and calls
 * `storefront:session:destroyed` for another.
 * @param request the request
 * @param userId the user
 * @param handle the device handle from the list
 * @returns false when no live session of the user has that handle
 */
export async function revokeUserSession(request: AccountRequest, userId: string, handle: string): Promise<boolean> {
  const { shop, runtime, event } = request
  const found = await findByHandle(request, userId, handle)
  if (!found) return false
  if (found.current) {
    await endSession(request, 'logout')
    return true
  }
  await guardStoreStep(shop, 'revoke session', () => found.store.remove(found.keys))
  if (hasHookListeners(runtime.hooks, 'storefront:session:destroyed')) {
    await runtime.hooks.callHook('storefront:session:destroyed', { shopId: shop.id, userId, event })
  }
  return true
}

async function findByHandle(request: AccountRequest, userId: string, handle: string) {
  const { shop, session, runtime } = request
  const guard = <T>(operation: string, work: () => Promise<T>) => guardStoreStep(shop, operation, work)
  return findUserSession({ session, guard }, shop, await runtime.sessionsFor(shop), checkUserId(userId), handle)
}
