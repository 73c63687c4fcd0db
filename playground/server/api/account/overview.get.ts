// The account page's summary, from a plain route: a guest gets the 401 problem+json.
export default defineEventHandler(async (event) => {
  const user = await requireStorefrontUser(event)
  const session = await useStorefrontSession(event)
  const { total } = await listSessionsForUserId(event, user.id, { limit: 1 })
  return { firstName: user.firstName, signedInAt: session.meta?.createdAt ?? null, devices: total }
})
