import { createError } from 'h3'
import { defineRpcHandler } from '../define'
import { labelObject } from '../schema'
import { cleanSessionLabel } from '../../session/label'
import { requireRpcUser } from './require-user'

export default defineRpcHandler(async ({ label, handle }, context) => {
  const user = requireRpcUser(context)
  if (handle === undefined) {
    context.setSessionLabel(label)
    return { label: context.session.label }
  }
  if (!await context.labelSessionForUserId(user.id, handle, label)) {
    throw createError({ status: 404, message: 'no session of yours has this handle: it ended already, or the list is out of date' })
  }
  return { label: cleanSessionLabel(label) }
}, { input: labelObject(), form: true })
