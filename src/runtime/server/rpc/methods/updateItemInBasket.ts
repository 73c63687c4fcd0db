import { defineRpcHandler } from '../define'
import { integerObject } from '../schema'

// Sets a line's quantity (capped); 0 removes the line.
export default defineRpcHandler(
  async (line, context) => ({ items: await context.basket.setQuantity(line) }),
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER }, quantity: { min: 0, max: 999 } }), form: true },
)
