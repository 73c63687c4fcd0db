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
  /** Ends the one session with this handle (a device of the list), then reloads the list. */
  revoke: (handle: string) => Promise<void>
  /**
   * Labels a device (`"Alice's iPhone"`, at most 64 characters, `''` removes it): this one without a handle, else the
   * one with that handle. Then reloads the list.
   */
  label: (label: string, handle?: string) => Promise<void>
}

/**
 * The logged-in user's devices (sessions), shared under `storefront-sessions:<shopId>`.
 * @returns the devices and actions
 * @example
 * const { sessions, revoke } = useSessions()
 * await revoke(sessions.value.find(device => !device.current)!.handle)
 */
export function useSessions(): UseStorefrontSessions {
  const state = useShopState<StorefrontDevice[]>('sessions', () => [])
  const listSessions = useRpcCall('listSessions')
  const logoutOthers = useRpcCall('logoutOtherDevices')
  const revokeSession = useRpcCall('revokeSession')
  const labelSession = useRpcCall('labelSession')
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
    async revoke(handle) {
      await revokeSession({ handle })
      await refresh()
    },
    async label(label, handle) {
      await labelSession(handle === undefined ? { label } : { label, handle })
      await refresh()
    },
  }
}
