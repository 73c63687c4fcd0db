import type { H3Event } from 'h3'
import type { StorefrontUser } from '../../types'
import type { StorefrontLoginResult, StorefrontSessionList, StorefrontSessionListOptions } from '../../types/rpc'
import { destroyUserSessions, labelUserSession, listUserSessions, revokeUserSession } from '../account/devices'
import type { LoginOptions } from '../account/login'
import { loginUser } from '../account/login'
import { endSession } from '../account/logout'
import { accountRequest } from '../account/request'
import { refuseCrossSite } from '../http/origin'

// The account operations of the RPC context (`context.login`, …), for any route. None of them checks who may do what:
// the route decides (check the password before a login, `requireStorefrontUser` before touching a user's sessions).

/**
 * Logs a user in on the request's session: the guest's basket and wishlist are merged into the user's (once), the
 * session gets a new id, and `storefront:login` is called. Saved with the session when the response is sent.
 * @param event the request
 * @param user the user (its `id`: 1 to 64 characters from A-Z a-z 0-9 _ -)
 * @param options `tokens` (sealed at rest, never sent to the client) and `label` (a name for this device)
 * @returns the user and what the merge did
 * @example
 * export default defineEventHandler(async (event) => {
 *   const { email, password } = await readBody(event)
 *   const user = await checkPassword(email, password)
 *   const { merge } = await loginStorefrontUser(event, user)
 *   return { user, linesAdded: merge.linesAdded }
 * })
 */
export async function loginStorefrontUser(event: H3Event, user: StorefrontUser, options?: LoginOptions): Promise<StorefrontLoginResult> {
  refuseCrossSite(event, 'a login')
  return loginUser(await accountRequest(event), user, options)
}

/**
 * Ends the request's session now (deleted from the store, cookie cleared) and calls `storefront:logout`.
 * @param event the request
 * @example
 * export default defineEventHandler(async (event) => {
 *   await logoutStorefrontUser(event)
 *   return sendRedirect(event, '/')
 * })
 */
export async function logoutStorefrontUser(event: H3Event): Promise<void> {
  refuseCrossSite(event, 'a logout')
  await endSession(await accountRequest(event), 'logout')
}

/**
 * Deletes every session of a user (all devices) but the ones to keep, and calls `storefront:session:destroyed`.
 * @param event the request
 * @param userId the user
 * @param keep session ids to keep, such as the request's own (`(await useStorefrontSession(event)).id`)
 * @returns how many sessions were deleted
 * @example
 * export default defineEventHandler(async (event) => {
 *   const user = await requireStorefrontUser(event)
 *   const session = await useStorefrontSession(event)
 *   return { destroyed: await destroySessionsForUserId(event, user.id, [session.id]) }
 * })
 */
export async function destroySessionsForUserId(event: H3Event, userId: string, keep?: string[]): Promise<number> {
  refuseCrossSite(event, 'ending sessions')
  return destroyUserSessions(await accountRequest(event), userId, keep)
}

/**
 * One page of a user's live sessions (devices), newest expiry first, the request's own marked `current`.
 * @param event the request
 * @param userId the user
 * @param options `limit` (1 to 200, default 50) and `cursor` (the `nextCursor` of the page before)
 * @returns `{ sessions, nextCursor, total }`; `nextCursor` is null on the last page
 * @example
 * export default defineEventHandler(async (event) => {
 *   const user = await requireStorefrontUser(event)
 *   const { cursor } = getQuery(event)
 *   return listSessionsForUserId(event, user.id, { limit: 20, cursor: typeof cursor === 'string' ? cursor : undefined })
 * })
 */
export async function listSessionsForUserId(event: H3Event, userId: string, options?: StorefrontSessionListOptions): Promise<StorefrontSessionList> {
  return listUserSessions(await accountRequest(event), userId, options)
}

/**
 * Ends one of a user's sessions by its device `handle` (from {@link listSessionsForUserId}); the request's own is a
 * logout.
 * @param event the request
 * @param userId the user
 * @param handle the device handle
 * @returns false when no live session of the user has that handle
 * @example
 * export default defineEventHandler(async (event) => {
 *   const user = await requireStorefrontUser(event)
 *   return { revoked: await revokeSessionForUserId(event, user.id, getRouterParam(event, 'handle')!) }
 * })
 */
export async function revokeSessionForUserId(event: H3Event, userId: string, handle: string): Promise<boolean> {
  refuseCrossSite(event, 'ending a session')
  return revokeUserSession(await accountRequest(event), userId, handle)
}

/**
 * Names one of a user's sessions by its device `handle` (from {@link listSessionsForUserId}).
 * @param event the request
 * @param userId the user
 * @param handle the device handle
 * @param label the name (at most 64 characters; control and format characters are stripped)
 * @returns false when no live session of the user has that handle
 * @example
 * export default defineEventHandler(async (event) => {
 *   const user = await requireStorefrontUser(event)
 *   const { handle, label } = await readBody(event)
 *   return { labelled: await labelSessionForUserId(event, user.id, handle, label) }
 * })
 */
export async function labelSessionForUserId(event: H3Event, userId: string, handle: string, label: string): Promise<boolean> {
  refuseCrossSite(event, 'naming a session')
  return labelUserSession(await accountRequest(event), userId, handle, label)
}
