import { createError } from 'h3'
import { defineRpcHandler } from '../define'
import { handleObject } from '../schema'
import { requireRpcUser } from './require-user'

export default defineRpcHandler(async ({ handle }, context) => {
  const user = requireRpcUser(context)
  if (!await context.revokeSessionForUserId(user.id, handle)) {
    throw createError({ status: 404, message: 'no session of yours has this handle: it ended already, or the list is out of date' })
  }
  return { revoked: true }
}, { input: handleObject(), form: true })
