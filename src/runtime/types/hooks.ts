import type { H3Event } from 'h3'
import type { StorefrontSession } from './session'
import type { MergeReport, StorefrontCommerceAdapters } from './commerce'
import type { StorefrontRpcContext } from './rpc'
import type { StorefrontStorageOptions } from './options'
import type { StorefrontUser } from './user'

/** Server hooks of the module (`nitroApp.hooks.hook(...)`). */
export interface StorefrontRuntimeHooks {
  /** A session was written to the store for the first time. */
  'storefront:session:created': (payload: { session: StorefrontSession, event: H3Event }) => void | Promise<void>
  /** A session was deleted (destroy, logout, regenerate's old id, destroy-all). */
  'storefront:session:destroyed': (payload: { shopId: string, userId?: string, event: H3Event }) => void | Promise<void>
  /** A user logged in; `merge` says what came over from the guest basket and wishlist. */
  'storefront:login': (payload: { shopId: string, user: StorefrontUser, merge: MergeReport, event: H3Event }) => void | Promise<void>
  /** A user logged out. */
  'storefront:logout': (payload: { shopId: string, userId: string, event: H3Event }) => void | Promise<void>
  /** An RPC context was built; add your own fields to it here. */
  'storefront:context:created': (payload: { context: StorefrontRpcContext, event: H3Event }) => void | Promise<void>
  /** Before an RPC handler runs, with validated params. */
  'storefront:rpc:before': (payload: { method: string, params: unknown, context: StorefrontRpcContext }) => void | Promise<void>
  /** After an RPC handler returned and the session was saved. */
  'storefront:rpc:after': (payload: { method: string, result: unknown, context: StorefrontRpcContext }) => void | Promise<void>
  /** An RPC handler (or the save after it) failed. */
  'storefront:rpc:error': (payload: { method: string, error: unknown, context: StorefrontRpcContext }) => void | Promise<void>
  /**
   * Called once per store when the server starts, before the driver is created: change `storage` (driver name and
   * options) to choose the store at start, e.g. from an environment variable of your own.
   */
  'storefront:storage': (storage: StorefrontStorageOptions, info: { shopId: string, storageId: string }) => void | Promise<void>
  /** Called once, on first use: replace `adapters.basket` or `adapters.wishlist` with your commerce backend. */
  'storefront:commerce': (adapters: StorefrontCommerceAdapters) => void | Promise<void>
}

declare module 'nitropack/types' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface NitroRuntimeHooks extends StorefrontRuntimeHooks {}
}
