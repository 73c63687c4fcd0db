import * as v from 'valibot'
import { welcomeNotice } from '../../shared/welcome'
import { verifyDemoCredentials } from '../utils/users'

export default defineRpcHandler(async ({ email, password }, context) => {
  // Password guessing is throttled per account and per client address: a 429 with Retry-After past the limits.
  await limitLoginAttempts(context.event, { account: email })
  const user = await verifyDemoCredentials(email, password)
  if (!user) {
    throw createError({ status: 401, message: 'wrong email or password' })
  }
  // A real shop would pass the commerce API's tokens here: they stay on the server.
  const { merge } = await context.login(user, { tokens: { accessToken: `demo-${crypto.randomUUID()}` } })
  // With JavaScript the sign-in page makes the notice from the result; after a form post without JavaScript, the
  // page the browser is sent to reads it from the flash while it renders.
  context.session.flash('notice', welcomeNotice(user.firstName, merge))
  return { user, merge }
}, {
  input: v.object({
    email: v.pipe(v.string(), v.trim(), v.toLowerCase(), v.email('enter a valid email address'), v.maxLength(254)),
    password: v.pipe(v.string(), v.minLength(1, 'enter your password'), v.maxLength(256)),
  }),
  // The sign-in form works before hydration and without JavaScript: it posts to /api/form/login.
  form: true,
})
