import { computed } from 'vue'
import type { ComputedRef } from 'vue'
import { useRpcCall } from './rpc'
import type { RpcMethodResult } from './rpc'
import { useShopState } from './state'

/** One device of the current user. */
export type StorefrontDevice = RpcMethodResult<'listSessions'>['sessions'][number]

/** What `useSessions` returns. */
export interface UseStorefrontSessions {
  sessions: ComputedRef<StorefrontDevice[]>
  refresh: () => Promise<StorefrontDevice[]>
  /** Ends every other session of the user; returns how many ended. */
  logoutOtherDevices: () => Promise<number>
}

/**
 * The logged-in user's devices (sessions), shared under `storefront-sessions:<shopId>`.
 * @returns the devices and actions
 * @example
 * const { sessions, logoutOtherDevices } = useSessions()
 */
export function useSessions(): UseStorefrontSessions {
  const state = useShopState<StorefrontDevice[]>('sessions', () => [])
  const listSessions = useRpcCall('listSessions')
  const logoutOthers = useRpcCall('logoutOtherDevices')
  async function refresh() {
    state.value = (await listSessions()).sessions
    return state.value
  }
  return {
    sessions: computed(() => state.value),
    refresh,
    async logoutOtherDevices() {
      const { destroyed } = await logoutOthers()
      await refresh()
      return destroyed
    },
  }
}
