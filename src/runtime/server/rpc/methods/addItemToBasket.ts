import { createError } from 'h3'
import { defineRpcHandler } from '../define'
import { integerObject } from '../schema'

export default defineRpcHandler(
  async (line, context) => {
    const max = context.basket.limits.maxQuantityPerLine
    if (line.quantity > max) {
      throw createError({ status: 400, message: `invalid quantity: expected an integer from 1 to ${max}`, data: { errors: [{ path: 'quantity', message: `expected an integer from 1 to ${max}` }] } })
    }
    return { items: await context.basket.add(line) }
  },
  { input: integerObject({ variantId: { min: 1, max: Number.MAX_SAFE_INTEGER }, quantity: { min: 1, max: Number.MAX_SAFE_INTEGER } }), form: true },
)
