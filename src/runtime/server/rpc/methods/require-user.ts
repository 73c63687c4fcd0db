import { createError } from 'h3'
import type { StorefrontUser } from '../../../types'
import type { StorefrontRpcContext } from '../../../types/rpc'

/**
 * The logged-in user of an RPC call.
 * @param context the RPC context
 * @returns the user
 * @throws a 401 for a guest
 */
export function requireRpcUser(context: StorefrontRpcContext): StorefrontUser {
  if (!context.user) {
    throw createError({ status: 401, message: 'not logged in' })
  }
  return context.user
}
