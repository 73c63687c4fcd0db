import * as v from 'valibot'
import { findVariant } from '../../shared/catalog'

// Replaces the built-in method (listed in storefront.rpc.overrides) to check variants against the catalog.
export default defineRpcHandler(async ({ variantId, quantity }, context) => {
  if (!findVariant(variantId)) {
    throw createError({ status: 404, message: `unknown variant ${variantId}` })
  }
  return { items: await context.basket.add({ variantId, quantity }) }
}, {
  input: v.object({
    variantId: v.pipe(v.number(), v.integer()),
    quantity: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(99)),
  }),
})
