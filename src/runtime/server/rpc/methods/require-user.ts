import type { StorefrontUser } from '../../../types'
import type { StorefrontRpcContext } from '../../../types/rpc'
import { NotLoggedInError } from '../../account/user'

/**
 * The logged-in user of an RPC call.
 * @param context the RPC context
 * @returns the user
 * @throws the same 401 as `requireStorefrontUser` for a guest
 */
export function requireRpcUser(context: StorefrontRpcContext): StorefrontUser {
  if (!context.user) throw new NotLoggedInError()
  return context.user
}
