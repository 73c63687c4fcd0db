// server/api/account/me.get.ts
export default defineEventHandler(async (event) => {
  const user = await getStorefrontUser(event)
  return { loggedIn: user !== null, firstName: user?.firstName ?? null }
})
