import { computed, readonly } from 'vue'
import { useNuxtApp } from '#imports'
import type { ComputedRef, DeepReadonly, Ref } from 'vue'
import type { StorefrontUser } from '../../types'
import { useRpcCall } from './rpc'
import type { RpcMethodName, RpcMethodParams, RpcMethodResult } from './rpc'
import { scopeShopId, useShopState } from './state'
import type { ShopScope } from './state'
import { useBasket, useWishlist, reloadLists } from './basket'
import { tellOtherTabs, useLoadedAt } from './sync'

/** The client-side view of the current user. */
export interface StorefrontUserState {
  user: StorefrontUser | null
  /** False until the first answer from the server. */
  isInitialized: boolean
  /** True while the last known value is shown and a fresh one is on its way. */
  fromCache: boolean
  /**
   * True when the last load failed because the session store was out (a 503): the shopper is not known to be logged
   * out, the store is temporarily unavailable. Show that, not a sign-in link.
   */
  unavailable?: boolean
}

/**
 * The app's RPC method `M` as `useUser` calls it: typed from the method's params and result, or `never` (calling it is
 * a type error) when the app has no method of that name.
 */
export type AppMethodCall<M extends string> = M extends RpcMethodName ? (params: RpcMethodParams<M>) => Promise<RpcMethodResult<M>> : never

/** What `useUser` returns. */
export interface UseStorefrontUser {
  user: ComputedRef<StorefrontUser | null>
  isLoggedIn: ComputedRef<boolean>
  isInitialized: ComputedRef<boolean>
  fromCache: ComputedRef<boolean>
  /** The session store was out at the last load: the user is unknown for now, not logged out. */
  isUnavailable: ComputedRef<boolean>
  state: DeepReadonly<Ref<StorefrontUserState>>
  /** Fetches the user; with `{ background: true }` the last known value stays visible (`fromCache`) meanwhile. */
  refresh: (options?: { background?: boolean }) => Promise<void>
  /**
   * Calls the app's RPC method named `login` (`server/rpc/login.ts`) with its params, stores the `user` it returns,
   * reads the (merged) basket and wishlist again and returns its result. Typed from that method; a type error when
   * the app has none.
   */
  login: AppMethodCall<'login'>
  /** Logs out (the built-in `logout` method) and reads the guest's empty lists; the other tabs of the shop follow. */
  logout: () => Promise<void>
  /**
   * Calls the app's RPC method named `updateUser` (`server/rpc/updateUser.ts`), stores the `user` it returns and
   * returns its result. Typed from that method; a type error when the app has none.
   */
  updateUser: AppMethodCall<'updateUser'>
}

/**
 * The current shopper's user, shared by every component of the shop (state key `storefront-user:<shopId>`).
 * Loaded during SSR by the module's plugin, kept in step across tabs, revalidated on navigation when stale.
 * @param scope `{ shopId }` for another shop than the current page's (route middleware does)
 * @returns the user state and actions
 * @example
 * const { user, isLoggedIn, login } = useUser()
 * await login({ email, password })
 */
export function useUser(scope: ShopScope = {}): UseStorefrontUser {
  const shopId = scopeShopId(scope)
  const state = useShopState<StorefrontUserState>('user', () => ({ user: null, isInitialized: false, fromCache: false }), shopId)
  const callScope = { shopId }
  const getUser = useRpcCall('getUser', callScope)
  // The app's own methods: typed through AppMethodCall where the public signature is declared.
  const loginCall = useRpcCall('login' as RpcMethodName, callScope) as unknown as (params: unknown) => Promise<{ user?: StorefrontUser }>
  const updateCall = useRpcCall('updateUser' as RpcMethodName, callScope) as unknown as (params: unknown) => Promise<{ user?: StorefrontUser }>
  const logoutCall = useRpcCall('logout', callScope)
  const nuxtApp = useNuxtApp()
  // After a login (the guest's basket and wishlist were merged) or a logout, this tab reads its lists again, and the
  // other tabs do the same when they hear of the new user.
  const setUser = async (user: StorefrontUser | null) => {
    state.value = { user, isInitialized: true, fromCache: false }
    tellOtherTabs(shopId, 'user', user)
    await nuxtApp.runWithContext(() => reloadLists(shopId))
  }

  async function refresh(options: { background?: boolean } = {}) {
    if (options.background && state.value.isInitialized) {
      state.value = { ...state.value, fromCache: true }
    }
    try {
      const { user } = await getUser()
      state.value = { user, isInitialized: true, fromCache: false }
    }
    catch (error) {
      state.value = { ...state.value, fromCache: false, unavailable: (error as { status?: number })?.status === 503 }
      throw error
    }
  }

  return {
    user: computed(() => state.value.user),
    isLoggedIn: computed(() => state.value.user !== null),
    isInitialized: computed(() => state.value.isInitialized),
    fromCache: computed(() => state.value.fromCache),
    isUnavailable: computed(() => state.value.unavailable === true),
    state: readonly(state),
    refresh,
    login: (async (params: unknown) => {
      const result = await loginCall(params)
      await setUser(result.user ?? null)
      return result
    }) as AppMethodCall<'login'>,
    async logout() {
      await logoutCall()
      await setUser(null)
    },
    updateUser: (async (params: unknown) => {
      const result = await updateCall(params)
      if (result.user) {
        state.value = { user: result.user, isInitialized: true, fromCache: false }
        tellOtherTabs(shopId, 'user', result.user)
      }
      return result
    }) as AppMethodCall<'updateUser'>,
  }
}

/**
 * Loads a shop's user, basket and wishlist at once: during SSR in-process with the page's session (one session read;
 * basket and wishlist are read in the same store round trip), in the browser as three calls in parallel.
 * @param shopId the shop
 * @param options `background` keeps the last user visible meanwhile (`fromCache`)
 * @param options.background see above
 * @returns once all three have answered (a failed one keeps its last value)
 */
export async function loadShopper(shopId: string, options: { background?: boolean } = {}): Promise<void> {
  const scope = { shopId }
  const loadedAt = useLoadedAt(shopId)
  await Promise.allSettled([useUser(scope).refresh(options), useBasket(scope).refresh(), useWishlist(scope).refresh()])
  loadedAt.value = Date.now()
}
