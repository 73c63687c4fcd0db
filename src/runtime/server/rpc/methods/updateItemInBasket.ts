import { defineRpcHandler } from '../define'
import { recordsInItsWrite } from '../idempotency'
import { integerObject } from '../schema'

// Sets a line's quantity, from 0 (removes the line) to `commerce.maxQuantityPerLine`, checked by the basket (a
// larger one is a 400, as for addItemToBasket).
// Its store write records the Idempotency-Key in the same step: a repeat while it runs applies nothing, and waits for no claim.
export default recordsInItsWrite(defineRpcHandler(
  async (line, context) => ({ items: await context.basket.setQuantity(line) }),
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER }, quantity: { min: 0, max: Number.MAX_SAFE_INTEGER } }), form: true },
))
