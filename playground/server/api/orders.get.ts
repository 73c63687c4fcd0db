// A plain server route behind a login: a guest gets a 401 problem+json with a WWW-Authenticate challenge.
export default defineEventHandler(async (event) => {
  const user = await requireStorefrontUser(event)
  return { email: user.email, orders: [] }
})
