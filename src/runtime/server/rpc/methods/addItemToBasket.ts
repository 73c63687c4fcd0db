import { createError } from 'h3'
import { defineRpcHandler } from '../define'
import { recordsInItsWrite } from '../idempotency'
import { integerObject } from '../schema'

// Its store write records the Idempotency-Key in the same step: a repeat while it runs applies nothing, and waits for no claim.
export default recordsInItsWrite(defineRpcHandler(
  async (line, context) => {
    const max = context.basket.limits.maxQuantityPerLine
    if (line.quantity > max) {
      throw createError({ status: 400, message: `invalid quantity: expected an integer from 1 to ${max}`, data: { errors: [{ path: 'quantity', message: `expected an integer from 1 to ${max}` }] } })
    }
    return { items: await context.basket.add(line) }
  },
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER }, quantity: { min: 1, max: Number.MAX_SAFE_INTEGER } }), form: true },
))
