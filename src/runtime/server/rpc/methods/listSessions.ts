import type { StorefrontRpcContext, StorefrontSessionInfo } from '../../../types/rpc'
import { defineRpcHandler } from '../define'
import { requireRpcUser } from './require-user'

/** The user's devices, one page at a time: `{ limit?, cursor? }` in, `{ sessions, nextCursor, total }` out. */
export default defineRpcHandler(async (params: { limit?: number, cursor?: string | null } | undefined, context: StorefrontRpcContext) => {
  const user = requireRpcUser(context)
  const page = params && typeof params === 'object' ? params : {}
  const { sessions, nextCursor, total } = await context.listSessionsForUserId(user.id, { limit: page.limit, cursor: page.cursor })
  // Each entry is the listed one without expiresAt: an object, so that fields can be added to it.
  return { sessions: sessions.map(({ expiresAt: _expiresAt, ...entry }: StorefrontSessionInfo) => entry), nextCursor, total }
})
