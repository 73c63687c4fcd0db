import { computed } from 'vue'
import type { ComputedRef, Ref } from 'vue'
import type { BasketLine, WishlistItem } from '../../types'
import { useRpcCall } from './rpc'
import { scopeShopId, useShopState } from './state'
import type { ShopScope } from './state'
import { tellOtherTabs } from './sync'

/** Client state of a list loaded from the server. */
interface ListState<T> {
  items: T[]
  loaded: boolean
}

/** What `useBasket` returns. */
export interface UseStorefrontBasket {
  items: ComputedRef<BasketLine[]>
  /** Units in the basket. */
  count: ComputedRef<number>
  loaded: ComputedRef<boolean>
  add: (variantId: number, quantity?: number) => Promise<BasketLine[]>
  /** Sets a line's quantity; 0 removes it. */
  update: (variantId: number, quantity: number) => Promise<BasketLine[]>
  remove: (variantId: number) => Promise<BasketLine[]>
  refresh: () => Promise<BasketLine[]>
}

/**
 * The current shopper's basket (the user's once logged in), shared under `storefront-basket:<shopId>`. Loaded during
 * SSR with the user, kept in step across the shop's tabs.
 * @param scope `{ shopId }` for another shop than the current page's
 * @returns the basket and its actions
 * @example
 * const { items, count, add } = useBasket()
 * await add(101, 2)
 */
export function useBasket(scope: ShopScope = {}): UseStorefrontBasket {
  const shopId = scopeShopId(scope)
  const state = useShopState<ListState<BasketLine>>('basket', () => ({ items: [], loaded: false }), shopId)
  const set = (items: BasketLine[]) => {
    state.value = { items, loaded: true }
    return items
  }
  // What this tab changed, the other tabs of the shop take over.
  const changed = (items: BasketLine[]) => {
    tellOtherTabs(shopId, 'basket', items)
    return set(items)
  }
  const callScope = { shopId }
  const getBasket = useRpcCall('getBasket', callScope)
  const addItem = useRpcCall('addItemToBasket', callScope)
  const updateItem = useRpcCall('updateItemInBasket', callScope)
  const removeItem = useRpcCall('removeItemFromBasket', callScope)
  return {
    items: computed(() => state.value.items),
    count: computed(() => state.value.items.reduce((sum, line) => sum + line.quantity, 0)),
    loaded: computed(() => state.value.loaded),
    add: async (variantId, quantity = 1) => changed((await addItem({ variantId, quantity })).items),
    update: async (variantId, quantity) => changed((await updateItem({ variantId, quantity })).items),
    remove: async variantId => changed((await removeItem({ variantId })).items),
    refresh: async () => set((await getBasket()).items),
  }
}

/** What `useWishlist` returns. */
export interface UseStorefrontWishlist {
  items: ComputedRef<WishlistItem[]>
  count: ComputedRef<number>
  loaded: ComputedRef<boolean>
  has: (productId: number) => boolean
  /** Adds the product, or removes it when it is there. */
  toggle: (productId: number) => Promise<WishlistItem[]>
  refresh: () => Promise<WishlistItem[]>
}

/**
 * The current shopper's wishlist, shared under `storefront-wishlist:<shopId>`. Loaded during SSR with the user, kept
 * in step across the shop's tabs.
 * @param scope `{ shopId }` for another shop than the current page's
 * @returns the wishlist and its actions
 * @example
 * const { has, toggle } = useWishlist()
 */
export function useWishlist(scope: ShopScope = {}): UseStorefrontWishlist {
  const shopId = scopeShopId(scope)
  const state: Ref<ListState<WishlistItem>> = useShopState<ListState<WishlistItem>>('wishlist', () => ({ items: [], loaded: false }), shopId)
  const set = (items: WishlistItem[]) => {
    state.value = { items, loaded: true }
    return items
  }
  const changed = (items: WishlistItem[]) => {
    tellOtherTabs(shopId, 'wishlist', items)
    return set(items)
  }
  const callScope = { shopId }
  const getWishlist = useRpcCall('getWishlist', callScope)
  const addItem = useRpcCall('addItemToWishlist', callScope)
  const removeItem = useRpcCall('removeItemFromWishlist', callScope)
  const has = (productId: number) => state.value.items.some(item => item.productId === productId)
  return {
    items: computed(() => state.value.items),
    count: computed(() => state.value.items.length),
    loaded: computed(() => state.value.loaded),
    has,
    toggle: async productId => changed((await (has(productId) ? removeItem({ productId }) : addItem({ productId }))).items),
    refresh: async () => set((await getWishlist()).items),
  }
}

/**
 * Reads a shop's basket and wishlist again: a login merged the guest's into the user's, a logout left a guest's.
 * @param shopId the shop
 * @returns once both have answered (a failed one keeps its last value)
 */
export async function reloadLists(shopId: string): Promise<void> {
  const scope = { shopId }
  await Promise.allSettled([useBasket(scope).refresh(), useWishlist(scope).refresh()])
}
