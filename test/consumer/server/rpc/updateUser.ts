// server/rpc/updateUser.ts
import * as v from 'valibot'

export default defineRpcHandler(async ({ firstName }, context) => {
  if (!context.user) {
    throw createError({ status: 401, message: 'not logged in' })
  }
  const user = { ...context.user, firstName }
  context.updateUser(user)
  return { user }
}, {
  input: v.object({ firstName: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(60)) }),
})
