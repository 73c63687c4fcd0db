import { welcomeNotice } from '../../../shared/welcome'
import { verifyDemoCredentials } from '../../utils/users'

// Sign-in from a plain route, for scripts and clients that do not speak RPC: the same login as the login method.
export default defineEventHandler(async (event) => {
  const { email, password } = await readBody<{ email?: unknown, password?: unknown }>(event) ?? {}
  if (typeof email !== 'string' || typeof password !== 'string') {
    throw createError({ status: 400, message: 'send { email, password }' })
  }
  const account = email.trim().toLowerCase()
  await limitLoginAttempts(event, { account })
  const user = await verifyDemoCredentials(account, password)
  if (!user) {
    throw createError({ status: 401, message: 'wrong email or password' })
  }
  const { merge } = await loginStorefrontUser(event, user, { tokens: { accessToken: `demo-${crypto.randomUUID()}` } })
  return { user, notice: welcomeNotice(user.firstName, merge) }
})
