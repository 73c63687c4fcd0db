import { defineRpcHandler } from '../define'
import { requireRpcUser } from './require-user'

export default defineRpcHandler(async (context) => {
  const user = requireRpcUser(context)
  return { destroyed: await context.destroySessionsForUserId(user.id, [context.sessionId]) }
}, { form: true })
