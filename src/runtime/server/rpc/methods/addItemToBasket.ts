import { defineRpcHandler } from '../define'
import { integerObject } from '../schema'

// Quantities above the per-line cap are accepted and capped by the adapter.
export default defineRpcHandler(
  async (line, context) => ({ items: await context.basket.add(line) }),
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER }, quantity: { min: 1, max: 999 } }) },
)
