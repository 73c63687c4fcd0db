import { createError } from 'h3'
import type { BasketLine, CommerceAdapterContext, CommerceLimits, CommerceOwner, StorefrontCommerceAdapters, WishlistItem } from '../../types/commerce'
import type { StorefrontBasketApi, StorefrontWishlistApi } from '../../types/rpc'

/** What the basket and wishlist APIs need from the RPC context they belong to. */
export interface CommerceHost {
  limits: () => CommerceLimits
  adapters: () => Promise<StorefrontCommerceAdapters>
  adapterContext: () => CommerceAdapterContext
  owner: () => CommerceOwner
  hasNothingStored: () => boolean
  guard: <T>(operation: string, work: () => Promise<T>) => Promise<T>
  writeAs: <T>(step: (owner: CommerceOwner) => Promise<T>) => Promise<T>
}

/**
 * `context.basket`: the current shopper's basket through the adapters, made on first use. A removal from a guest who
 * has no stored session yet changes nothing and makes none (no cookie, no key).
 */
export class RpcBasket implements StorefrontBasketApi {
  declare readonly limits: CommerceLimits
  private declare context: CommerceHost

  constructor(context: CommerceHost) {
    this.context = context
    this.limits = context.limits()
  }

  async get() {
    const context = this.context
    if (context.hasNothingStored()) return []
    return context.guard('basket read', async () => (await context.adapters()).basket.get(context.owner(), context.adapterContext()))
  }

  async add(line: BasketLine) {
    checkLine(line, 1, this.limits.maxQuantityPerLine)
    return this.write(async (basket, owner, adapterContext) => basket.add(owner, line, adapterContext))
  }

  async setQuantity(line: BasketLine) {
    checkLine(line, 0, this.limits.maxQuantityPerLine)
    // A quantity of 0 removes the line.
    if (line.quantity === 0 && this.context.hasNothingStored()) return []
    return this.write(async (basket, owner, adapterContext) => basket.setQuantity(owner, line, adapterContext))
  }

  async remove(variantId: number) {
    checkId('variantId', variantId)
    if (this.context.hasNothingStored()) return []
    return this.write(async (basket, owner, adapterContext) => basket.remove(owner, variantId, adapterContext))
  }

  private write(step: (basket: StorefrontCommerceAdapters['basket'], owner: CommerceOwner, adapterContext: CommerceAdapterContext) => Promise<BasketLine[]>) {
    const context = this.context
    return context.guard('basket write', async () => context.writeAs(async owner => step((await context.adapters()).basket, owner, context.adapterContext())))
  }
}

/** `context.wishlist`: the current shopper's wishlist through the adapters, made on first use; a removal as the basket's. */
export class RpcWishlist implements StorefrontWishlistApi {
  private declare context: CommerceHost

  constructor(context: CommerceHost) {
    this.context = context
  }

  async get() {
    const context = this.context
    if (context.hasNothingStored()) return []
    return context.guard('wishlist read', async () => (await context.adapters()).wishlist.get(context.owner(), context.adapterContext()))
  }

  async add(item: WishlistItem) {
    checkId('productId', item?.productId)
    return this.write(async (wishlist, owner, adapterContext) => wishlist.add(owner, item, adapterContext))
  }

  async remove(productId: number) {
    checkId('productId', productId)
    if (this.context.hasNothingStored()) return []
    return this.write(async (wishlist, owner, adapterContext) => wishlist.remove(owner, productId, adapterContext))
  }

  private write(step: (wishlist: StorefrontCommerceAdapters['wishlist'], owner: CommerceOwner, adapterContext: CommerceAdapterContext) => Promise<WishlistItem[]>) {
    const context = this.context
    return context.guard('wishlist write', async () => context.writeAs(async owner => step((await context.adapters()).wishlist, owner, context.adapterContext())))
  }
}

/**
 * A basket line as the basket takes it, whoever calls (the built-in methods, an app's method, a form): a variant id,
 * and a whole quantity within `commerce.maxQuantityPerLine`. A larger one is refused, never quietly cut down (an add
 * to an existing line stops at the limit: the line then holds the most it may). The methods that call it are
 * async, so that a refusal is a rejected promise, never a throw before one exists.
 * @param line the line
 * @param min the least quantity (0 sets a line away)
 * @param max `commerce.maxQuantityPerLine`
 * @throws a 400 that names the field
 */
function checkLine(line: BasketLine, min: number, max: number): void {
  checkId('variantId', line?.variantId)
  const quantity = line.quantity
  if (!Number.isSafeInteger(quantity) || quantity < min || quantity > max) {
    throw invalidField('quantity', `expected an integer from ${min} to ${max}`)
  }
}

function checkId(field: string, id: unknown): void {
  if (!Number.isSafeInteger(id) || (id as number) < 1) throw invalidField(field, 'expected a positive integer')
}

function invalidField(path: string, message: string) {
  return createError({ status: 400, message: `invalid ${path}: ${message}`, data: { errors: [{ path, message }] } })
}
