import { computed, readonly } from 'vue'
import type { ComputedRef, DeepReadonly, Ref } from 'vue'
import type { MergeReport, StorefrontUser } from '../../types'
import { useRpcCall } from './rpc'
import type { RpcMethodName } from './rpc'
import { useShopState } from './state'

/** The client-side view of the current user. */
export interface StorefrontUserState {
  user: StorefrontUser | null
  /** False until the first answer from the server. */
  isInitialized: boolean
  /** True while the last known value is shown and a fresh one is on its way. */
  fromCache: boolean
}

/** What `useUser` returns. */
export interface UseStorefrontUser {
  user: ComputedRef<StorefrontUser | null>
  isLoggedIn: ComputedRef<boolean>
  isInitialized: ComputedRef<boolean>
  fromCache: ComputedRef<boolean>
  state: DeepReadonly<Ref<StorefrontUserState>>
  /** Fetches the user; with `{ background: true }` the last known value stays visible (`fromCache`) meanwhile. */
  refresh: (options?: { background?: boolean }) => Promise<void>
  /** Calls the app's `login` method with its params and stores the user it returns. */
  login: (credentials: Record<string, unknown>) => Promise<{ user: StorefrontUser, merge?: MergeReport }>
  logout: () => Promise<void>
  /** Calls the app's `updateUser` method and stores the user it returns. */
  updateUser: (changes: Record<string, unknown>) => Promise<StorefrontUser>
}

/**
 * The current shopper's user, shared by every component of the shop (state key `storefront-user:<shopId>`).
 * Loaded during SSR by the module's plugin; revalidated in the background on navigation.
 * @returns the user state and actions
 * @example
 * const { user, isLoggedIn, login } = useUser()
 * await login({ email, password })
 */
export function useUser(): UseStorefrontUser {
  const state = useShopState<StorefrontUserState>('user', () => ({ user: null, isInitialized: false, fromCache: false }))
  const getUser = useRpcCall('getUser')
  // login and updateUser are the app's own methods; their params are the app's business.
  const loginCall = useRpcCall('login' as RpcMethodName) as unknown as (params: unknown) => Promise<{ user: StorefrontUser, merge?: MergeReport }>
  const updateCall = useRpcCall('updateUser' as RpcMethodName) as unknown as (params: unknown) => Promise<{ user: StorefrontUser }>
  const logoutCall = useRpcCall('logout')

  async function refresh(options: { background?: boolean } = {}) {
    if (options.background && state.value.isInitialized) {
      state.value = { ...state.value, fromCache: true }
    }
    try {
      const { user } = await getUser()
      state.value = { user, isInitialized: true, fromCache: false }
    }
    catch (error) {
      state.value = { ...state.value, fromCache: false }
      throw error
    }
  }

  return {
    user: computed(() => state.value.user),
    isLoggedIn: computed(() => state.value.user !== null),
    isInitialized: computed(() => state.value.isInitialized),
    fromCache: computed(() => state.value.fromCache),
    state: readonly(state),
    refresh,
    async login(credentials) {
      const result = await loginCall(credentials)
      state.value = { user: result.user, isInitialized: true, fromCache: false }
      return result
    },
    async logout() {
      await logoutCall()
      state.value = { user: null, isInitialized: true, fromCache: false }
    },
    async updateUser(changes) {
      const { user } = await updateCall(changes)
      state.value = { user, isInitialized: true, fromCache: false }
      return user
    },
  }
}
