// server/api/account/logout.post.ts
export default defineEventHandler(async (event) => {
  await logoutStorefrontUser(event)
  return sendRedirect(event, '/', 303)
})
