// server/api/account/login.post.ts
export default defineEventHandler(async (event) => {
  const { email, password } = await readBody<{ email: string, password: string }>(event)
  await limitLoginAttempts(event, { account: email })
  const account = await verifyCredentials(String(email).trim().toLowerCase(), String(password))
  if (!account) {
    throw createError({ status: 401, message: 'wrong email or password' })
  }
  // A new session id for the user; the guest's basket and wishlist are merged into the user's, once.
  const { user, merge } = await loginStorefrontUser(event, account.user, { tokens: account.tokens })
  return { user, linesAdded: merge.linesAdded }
})
