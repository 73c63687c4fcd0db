import { defineRpcHandler } from '../define'
import { recordsInItsWrite } from '../idempotency'
import { integerObject } from '../schema'

// Sets a line's quantity (capped); 0 removes the line.
// Its store write records the Idempotency-Key in the same step: a repeat while it runs applies nothing, and waits for no claim.
export default recordsInItsWrite(defineRpcHandler(
  async (line, context) => ({ items: await context.basket.setQuantity(line) }),
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER }, quantity: { min: 0, max: 999 } }), form: true },
))
