import { defineRpcHandler } from '../define'
import { integerObject } from '../schema'

export default defineRpcHandler(
  async ({ productId }, context) => ({ items: await context.wishlist.add({ productId }) }),
  { input: integerObject({ productId: { min: 1, max: Number.MAX_SAFE_INTEGER } }), form: true },
)
