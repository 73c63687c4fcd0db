import { defineRpcHandler } from '../define'
import { recordsInItsWrite } from '../idempotency'
import { integerObject } from '../schema'

// The quantity's bound is `commerce.maxQuantityPerLine`, checked by the basket (a larger one is a 400).
// Its store write records the Idempotency-Key in the same step: a repeat while it runs applies nothing, and waits for no claim.
export default recordsInItsWrite(defineRpcHandler(
  async (line, context) => ({ items: await context.basket.add(line) }),
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER }, quantity: { min: 1, max: Number.MAX_SAFE_INTEGER } }), form: true },
))
