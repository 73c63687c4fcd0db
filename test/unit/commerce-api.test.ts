import { describe, expect, it } from 'vitest'
import { RpcBasket, RpcWishlist } from '../../src/runtime/server/rpc/commerce-api'
import type { CommerceHost } from '../../src/runtime/server/rpc/commerce-api'

// The basket's and wishlist's own checks, before any store: whoever calls them (a built-in method, an app's method)
// gets a 400 for a line the shop does not take, as a rejected promise that `.catch` sees.
const host = { limits: () => ({ maxQuantityPerLine: 5, maxBasketLines: 10, maxWishlistItems: 10, mergePolicy: 'sum', dataTtlMs: 1000, guestTtlMs: 1000 }) } as unknown as CommerceHost

describe('context.basket and context.wishlist checks', () => {
  it('refuses a quantity past commerce.maxQuantityPerLine, a fraction or a bad id, with a 400 that names the field', async () => {
    const basket = new RpcBasket(host)
    const refused: [Promise<unknown>, string][] = [
      [basket.add({ variantId: 1, quantity: 6 }), 'quantity'],
      [basket.add({ variantId: 1, quantity: 0 }), 'quantity'],
      [basket.setQuantity({ variantId: 1, quantity: 6 }), 'quantity'],
      [basket.setQuantity({ variantId: 1, quantity: 1.5 }), 'quantity'],
      [basket.add({ variantId: 0, quantity: 1 }), 'variantId'],
      [basket.remove(-1), 'variantId'],
      [new RpcWishlist(host).add({ productId: Number.NaN }), 'productId'],
      [new RpcWishlist(host).remove(0), 'productId'],
    ]
    for (const [call, field] of refused) {
      // A rejected promise, never a throw before one exists: `.catch` on the call sees it.
      const error = await call.then(() => undefined, (reason: unknown) => reason) as { statusCode?: number, data?: { errors: { path: string }[] } }
      expect(error?.statusCode).toBe(400)
      expect(error.data!.errors[0]!.path).toBe(field)
    }
  })
})
