import { defineRpcHandler } from '../define'

export default defineRpcHandler(async (context) => {
  await context.logout()
  return { user: null }
}, { form: true })
