// server/rpc/addToWishlist.ts
import * as v from 'valibot'

export default defineRpcHandler(
  async ({ productId }, context) => ({ items: await context.wishlist.add({ productId }) }),
  { input: v.object({ productId: v.pipe(v.number(), v.integer(), v.minValue(1)) }) },
)
