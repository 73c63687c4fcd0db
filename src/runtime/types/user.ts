/**
 * Data kept in the session through `session.get`/`session.put`. Augment it to type your keys, in a file that is a
 * module (one with an `import` or `export {}`; without one, the block declares a new module instead of augmenting):
 * @example
 * // shared/types/storefront.d.ts
 * declare module '#storefront' {
 *   interface StorefrontSessionData { recentlyViewed: number[] }
 * }
 *
 * export {}
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StorefrontSessionData {}

/** The logged-in shopper. Augment it with the fields your user has; `id` is required. */
export interface StorefrontUser {
  id: string
}

/** Credentials kept server-side with a login (e.g. commerce API tokens). Never serialised into a response. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StorefrontTokens {}

/** Metadata kept with every session. */
export interface StorefrontSessionMeta {
  /** Creation time, ms since epoch. */
  createdAt: number
  /** Last refresh, ms since epoch; written at most once per refresh interval. */
  lastSeenAt: number
  /** When the session ends unless refreshed, ms since epoch. */
  expiresAt: number
  /** The user agent that created the session. */
  userAgent: string
  /** The device label, `''` when none (see `session.setLabel`). */
  label: string
}
