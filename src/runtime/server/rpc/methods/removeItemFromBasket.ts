import { defineRpcHandler } from '../define'
import { recordsInItsWrite } from '../idempotency'
import { integerObject } from '../schema'

// Its store write records the Idempotency-Key in the same step: a repeat while it runs applies nothing, and waits for no claim.
export default recordsInItsWrite(defineRpcHandler(
  async ({ variantId }, context) => ({ items: await context.basket.remove(variantId) }),
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER } }), form: true },
))
