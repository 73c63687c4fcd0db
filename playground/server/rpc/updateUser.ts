import * as v from 'valibot'
import type { DemoUser } from '../utils/users'

const name = v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(60, 'must be at most 60 characters'))

export default defineRpcHandler((changes, context) => {
  const current = context.user as DemoUser | null
  if (!current) {
    throw createError({ status: 401, message: 'not logged in' })
  }
  const user: DemoUser = { ...current, ...changes }
  context.updateUser(user)
  return { user }
}, {
  input: v.object({ firstName: v.optional(name), lastName: v.optional(name) }),
})
