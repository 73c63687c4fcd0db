import { defineRpcHandler } from '../define'
import { integerObject } from '../schema'

export default defineRpcHandler(
  async ({ productId }, context) => ({ items: await context.wishlist.remove(productId) }),
  { input: integerObject({ productId: { min: 1, max: Number.MAX_SAFE_INTEGER } }), form: true },
)
