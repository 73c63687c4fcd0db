// Ends this session (a guest has nothing to end) and answers with who is signed in now: nobody.
export default defineEventHandler(async (event) => {
  if (await getStorefrontUser(event)) await logoutStorefrontUser(event)
  return { user: await getStorefrontUser(event) }
})
