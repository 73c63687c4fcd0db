import type { BasketAdapter } from '#storefront'
import { findVariant } from '../../shared/catalog'

// Every basket write is checked against the catalog, whichever RPC method makes it (add or update).
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('storefront:commerce', (adapters) => {
    const basket: BasketAdapter = adapters.basket
    const check = (variantId: number) => {
      if (!findVariant(variantId)) throw createError({ status: 404, message: `unknown variant ${variantId}` })
    }
    adapters.basket = {
      ...basket,
      add: (owner, line, context) => {
        check(line.variantId)
        return basket.add(owner, line, context)
      },
      setQuantity: (owner, line, context) => {
        check(line.variantId)
        return basket.setQuantity(owner, line, context)
      },
    }
  })
})
