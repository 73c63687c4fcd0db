import { computed } from 'vue'
import type { ComputedRef } from 'vue'
import { useRpcCall } from './rpc'
import type { RpcMethodResult } from './rpc'
import { useShopState } from './state'

/** One device of the current user. */
export type StorefrontDevice = RpcMethodResult<'listSessions'>['sessions'][number]

interface DevicesState {
  devices: StorefrontDevice[]
  nextCursor: string | null
  total: number
}

/** What `useSessions` returns. */
export interface UseStorefrontSessions {
  /** The devices loaded so far: the first page after `refresh()`, more after each `loadMore()`. */
  sessions: ComputedRef<StorefrontDevice[]>
  /** How many sessions the user has in all. */
  total: ComputedRef<number>
  /** Whether `loadMore()` has another page to load. */
  hasMore: ComputedRef<boolean>
  /** Loads the first page again (50 devices). */
  refresh: () => Promise<StorefrontDevice[]>
  /** Loads the next page and appends it. */
  loadMore: () => Promise<StorefrontDevice[]>
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
 * The logged-in user's devices (sessions), a page at a time, shared under `storefront-sessions:<shopId>`.
 * @returns the devices and actions
 * @example
 * const { sessions, revoke } = useSessions()
 * await revoke(sessions.value.find(device => !device.current)!.handle)
 */
export function useSessions(): UseStorefrontSessions {
  const state = useShopState<DevicesState>('sessions', () => ({ devices: [], nextCursor: null, total: 0 }))
  const listSessions = useRpcCall('listSessions')
  const logoutOthers = useRpcCall('logoutOtherDevices')
  const revokeSession = useRpcCall('revokeSession')
  const labelSession = useRpcCall('labelSession')
  async function refresh() {
    const page = await listSessions({})
    state.value = { devices: page.sessions, nextCursor: page.nextCursor, total: page.total }
    return state.value.devices
  }
  return {
    sessions: computed(() => state.value.devices),
    total: computed(() => state.value.total),
    hasMore: computed(() => state.value.nextCursor !== null),
    refresh,
    async loadMore() {
      if (state.value.nextCursor === null) return state.value.devices
      const page = await listSessions({ cursor: state.value.nextCursor })
      state.value = { devices: [...state.value.devices, ...page.sessions], nextCursor: page.nextCursor, total: page.total }
      return state.value.devices
    },
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
