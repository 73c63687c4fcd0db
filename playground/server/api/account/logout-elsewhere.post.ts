// Ends every other session of the user, keeping this one.
export default defineEventHandler(async (event) => {
  const user = await requireStorefrontUser(event)
  const session = await useStorefrontSession(event)
  return { destroyed: await destroySessionsForUserId(event, user.id, [session.id]) }
})
