import type { H3Event } from 'h3'
import type { StorefrontUser } from '../../types'
import type { NotLoggedInOptions } from '../account/user'
import { readSessionUser, requireSessionUser } from '../account/user'
import { useStorefrontRuntime } from './runtime'

/**
 * The logged-in user of a request, or null for a guest.
 * @param event the request
 * @returns the user, or null
 * @example
 * export default defineEventHandler(async (event) => {
 *   const user = await getStorefrontUser(event)
 *   return { greeting: user ? `Hello ${user.name}` : 'Hello' }
 * })
 */
export async function getStorefrontUser(event: H3Event): Promise<StorefrontUser | null> {
  return readSessionUser(await useStorefrontRuntime().engine.session(event))
}

/**
 * The logged-in user of a request.
 * @param event the request
 * @param options `status` (default 401) and `message` (default `not logged in`) of the error for a guest
 * @returns the user
 * @throws a 401 for a guest, answered as `application/problem+json` with a `WWW-Authenticate` challenge
 * @example
 * export default defineEventHandler(async (event) => {
 *   const user = await requireStorefrontUser(event)
 *   return { orders: await listOrders(user.id) }
 * })
 */
export async function requireStorefrontUser(event: H3Event, options?: NotLoggedInOptions): Promise<StorefrontUser> {
  return requireSessionUser(await useStorefrontRuntime().engine.session(event), options)
}
