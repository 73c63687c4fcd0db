import type { H3Event } from 'h3'
import type { StorefrontUser } from '../../types'
import { StorefrontHttpError } from '../session/errors'
import { useStorefrontEngine } from './runtime'
import { readSessionUser } from '../account/user'

/**
 * The logged-in user of a request.
 * @param event the request
 * @returns the user
 * @throws a 401 for a guest, answered as `application/problem+json` with a `WWW-Authenticate` challenge
 * @example
 * export default defineEventHandler(async (event) => {
 *   const user = await requireStorefrontUser(event)
 *   return { orders: await listOrders(user.id) }
 * })
 */
export async function requireStorefrontUser(event: H3Event): Promise<StorefrontUser> {
  const session = await useStorefrontEngine().session(event)
  const user = readSessionUser(session)
  if (!user) {
    throw new StorefrontHttpError(401, 'Unauthorized', 'not logged in')
  }
  return user
}
