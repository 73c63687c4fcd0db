// server/api/account/devices.get.ts
export default defineEventHandler(async (event) => {
  const user = await requireStorefrontUser(event)
  const { cursor } = getQuery(event)
  return listSessionsForUserId(event, user.id, { limit: 20, cursor: typeof cursor === 'string' ? cursor : undefined })
})
