// server/plugins/commerce.ts
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('storefront:commerce', (adapters) => {
    const basket = adapters.basket
    adapters.basket = {
      ...basket,
      // Check every new line against your catalog before it reaches the basket.
      add: (owner, line, context) => {
        if (line.variantId > 100_000) {
          throw createError({ status: 404, message: `variant ${line.variantId} does not exist` })
        }
        return basket.add(owner, line, context)
      },
    }
  })
})
