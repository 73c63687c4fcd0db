import { defineRpcHandler } from '../define'
import { integerObject } from '../schema'

export default defineRpcHandler(
  async ({ variantId }, context) => ({ items: await context.basket.remove(variantId) }),
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER } }), form: true },
)
