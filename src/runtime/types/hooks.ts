import type { H3Event } from 'h3'
import type { StorefrontSession } from '../server/session/session'

/** Server hooks of the module (`nitroApp.hooks.hook(...)`). */
export interface StorefrontRuntimeHooks {
  /** A session was written to the store for the first time. */
  'storefront:session:created': (payload: { session: StorefrontSession, event: H3Event }) => void | Promise<void>
  /** A session was deleted (destroy, logout, regenerate's old id). */
  'storefront:session:destroyed': (payload: { shopId: string, userId?: string, event: H3Event }) => void | Promise<void>
}

declare module 'nitropack/types' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface NitroRuntimeHooks extends StorefrontRuntimeHooks {}
}
