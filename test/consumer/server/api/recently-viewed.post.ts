// server/api/recently-viewed.post.ts
export default defineEventHandler(async (event) => {
  const { productId } = await readBody<{ productId: number }>(event)
  const session = await useStorefrontSession(event)
  const viewed = session.get('recentlyViewed', [])
  session.put('recentlyViewed', [productId, ...viewed].slice(0, 10))
  return { viewed: session.get('recentlyViewed') }
})
