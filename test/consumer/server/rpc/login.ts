// server/rpc/login.ts
import * as v from 'valibot'

export default defineRpcHandler(async ({ email, password, deviceName }, context) => {
  // Past 10 attempts per account (100 per client address) in 15 minutes: a 429 with Retry-After.
  await limitLoginAttempts(context.event, { account: email })
  // Your own check: your commerce API's login, for instance. It gives the user and its tokens, or null.
  const account = await verifyCredentials(email, password)
  if (!account) {
    throw createError({ status: 401, message: 'wrong email or password' })
  }
  // An app may name the device ("Alice's iPhone"): the user's session list shows it.
  const { user, merge } = await context.login(account.user, { tokens: account.tokens, label: deviceName })
  return { user, merge }
}, {
  input: v.object({
    email: v.pipe(v.string(), v.trim(), v.toLowerCase(), v.email()),
    password: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
    deviceName: v.optional(v.pipe(v.string(), v.maxLength(64))),
  }),
  // Also served to the sign-in form without JavaScript, at POST /api/form/login.
  form: true,
})
