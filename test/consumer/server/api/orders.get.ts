// server/api/orders.get.ts
export default defineEventHandler(async (event) => {
  const user = await requireStorefrontUser(event)
  return { email: user.email, orders: [] }
})
