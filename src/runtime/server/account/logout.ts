import { hasHookListeners } from '../internal/hookable'
import type { AccountRequest } from './request'

/**
 * Ends a request's session now (deleted from the store, cookie cleared) and, for a logout, calls `storefront:logout`.
 * @param request the request
 * @param reason `logout` calls the hook for a logged-in session; `destroy` does not
 */
export async function endSession(request: AccountRequest, reason: 'logout' | 'destroy' = 'logout'): Promise<void> {
  const { session, shop, runtime, event } = request
  const userId = session.userId
  session.destroy()
  await session.commit()
  if (reason === 'logout' && userId && hasHookListeners(runtime.hooks, 'storefront:logout')) {
    await runtime.hooks.callHook('storefront:logout', { shopId: shop.id, userId, event })
  }
}
