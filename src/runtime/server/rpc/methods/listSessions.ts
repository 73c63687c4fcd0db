import { defineRpcHandler } from '../define'
import { requireRpcUser } from './require-user'

export default defineRpcHandler(async (context) => {
  const user = requireRpcUser(context)
  const sessions = await context.listSessionsForUserId(user.id)
  return { sessions: sessions.map(({ handle, current, createdAt, lastSeenAt, userAgent, browser, os, device, label }) => ({ handle, current, createdAt, lastSeenAt, userAgent, browser, os, device, label })) }
})
