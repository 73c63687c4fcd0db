// server/api/account/logout-elsewhere.post.ts
export default defineEventHandler(async (event) => {
  const user = await requireStorefrontUser(event, { message: 'log in to manage your devices' })
  const session = await useStorefrontSession(event)
  return { destroyed: await destroySessionsForUserId(event, user.id, [session.id]) }
})
