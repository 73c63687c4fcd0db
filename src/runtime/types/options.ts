import type { BuiltinDriverName, Driver } from 'unstorage'

/** `SameSite` policy of the session cookie. */
export type StorefrontSameSite = 'lax' | 'strict' | 'none'

/** How a request's shop is chosen when it sends no `x-shop-id` header. */
export type StorefrontShopSelector = 'domain' | 'path' | 'path_or_default'

/** Cookie and lifetime settings; top level or per shop, merged with the shop winning. */
export interface StorefrontSessionOptions {
  /**
   * Name of the session cookie. `{shopId}` is replaced by the shop id.
   * @default '$session-{shopId}'
   */
  cookieName?: string
  /**
   * A cookie name prefix the browser enforces: `'__Host-'` (Secure, `Path=/`, no `Domain`: no other host, not even a
   * sibling subdomain, can set or overwrite the cookie), `'__Secure-'` (Secure), or `''` for none. `'__Host-'` forces
   * `Secure` and refuses to start together with `domain`.
   * @default ''
   */
  cookiePrefix?: StorefrontCookiePrefix
  /**
   * `SameSite` of the cookie.
   * @default 'lax'
   */
  sameSite?: StorefrontSameSite
  /**
   * Lifetime in seconds (a whole number) of the cookie, and the store TTL.
   * @default 86400
   */
  maxAge?: number
  /**
   * Seconds between rolling refreshes of the TTL, the cookie and `lastSeenAt`; 0 means maxAge/4.
   * @default 0
   */
  refreshInterval?: number
  /**
   * Hard limit in seconds from creation, however active the session is (30 days); 0 turns it off.
   * @default 2592000
   */
  absoluteMaxAge?: number
  /**
   * `Domain` attribute of the cookie; empty means the current host.
   * @default ''
   */
  domain?: string
  /**
   * `Secure` attribute; `null` means on in production, off in development.
   * @default null
   */
  secure?: boolean | null
  /**
   * Signing secret, or a list: the last signs new cookies, all verify. At least 32 characters in production.
   * Set it with NUXT_STOREFRONT_SESSION_SECRET (a string or a JSON array).
   * @default ''
   */
  secret?: string | string[]
  /**
   * Most bytes a session's fields may take as stored: UTF-8 bytes of every name and value (data, flash, tokens as
   * encrypted), with their separators, the meta field left out. The user's record has the same bound.
   * @default 65536
   */
  maxDataSize?: number
  /**
   * Session data keys (`session.put` keys) that a guest session carries into the user's session at login. Nothing
   * else carries over (the basket and the wishlist are merged); a login as another user than the session's starts
   * with no data at all. `['*']` carries every key.
   * @default []
   */
  guestPortableKeys?: string[]
  /**
   * Where the session travels: `'cookie'` (the signed cookie), `'bearer'` (the same signed value in an
   * `Authorization: Bearer` header, for native apps and headless clients), or both. A list, or a comma-separated
   * text (`NUXT_STOREFRONT_SESSION_TRANSPORTS=cookie,bearer`). A shop that does not list `'bearer'` never reads the
   * `Authorization` header.
   * @default 'cookie'
   */
  transports?: StorefrontSessionTransport[] | string
}

/** How a session travels between client and server: see `session.transports`. */
export type StorefrontSessionTransport = 'cookie' | 'bearer'

/** A cookie name prefix: see `session.cookiePrefix`. */
export type StorefrontCookiePrefix = '' | '__Host-' | '__Secure-'

/** An unstorage driver name and its options, e.g. `{ driver: 'redis', url: 'redis://127.0.0.1:6379' }`. */
export interface StorefrontStorageOptions {
  /**
   * `memory` (embedded, development only), `redis` (atomic across instances), or any other unstorage built-in driver
   * by name (`fs`, `lru-cache`, `db0`, `upstash`, `mongodb`, …), which the generic store uses (safe on one instance
   * only). The `storefront:storage` hook may also set a driver instance. Unset, development runs on `memory` and a
   * production server refuses to start: choose a store, `memory` included, explicitly.
   * @default '' (not chosen)
   */
  driver?: BuiltinDriverName | 'memory' | '' | Driver
  /**
   * Driver options, passed through. For Redis, `cluster` and `sentinels` take a list of `{ host, port }` or
   * `host:port,host:port` (every node with its port), and `sentinels` needs the master's `name`.
   */
  [option: string]: unknown
}

/** One shop of the storefront. */
export interface StorefrontShopOptions {
  /** Host name the shop serves, for `shopSelector: 'domain'`. */
  domain?: string
  /** Path prefix the shop serves, for `shopSelector: 'path'` and `'path_or_default'`, e.g. `/de`. */
  path?: string
  /** Session settings of this shop, merged over the top-level ones. */
  session?: StorefrontSessionOptions
  /** A store of this shop's own, merged over the top-level `storage`. */
  storage?: { session?: StorefrontStorageOptions }
}

/** Options of the `storefront` config key. */
export interface ModuleOptions {
  /**
   * The shops, by id. Shop ids are 1 to 32 characters from `A-Z a-z 0-9 _ -`.
   * @default { '1001': { path: '/' } }
   */
  shops?: Record<string, StorefrontShopOptions>
  /**
   * How a request without `x-shop-id` finds its shop.
   * @default 'path_or_default'
   */
  shopSelector?: StorefrontShopSelector
  /**
   * The shop used when no other matches (`path_or_default`); the first shop when empty.
   * @default ''
   */
  defaultShopId?: string
  /** Session cookie and lifetime. */
  session?: StorefrontSessionOptions
  /** Where sessions live. */
  storage?: { session?: StorefrontStorageOptions }
  /**
   * Milliseconds (a whole number) a store operation may take before the request is answered with a 503 (on Redis a command fails
   * between 1× and 1.25× this after it was sent).
   * @default 2000
   */
  storeTimeout?: number
  /**
   * What a page request gets when its session cannot be loaded (the store is stopped or hung): `'error'`, a 503 page
   * (`Retry-After`, `Cache-Control: no-store`; APIs a problem+json 503), or `'anonymous'`, the page rendered without
   * the session, marked `private, no-store` (the composables report `isUnavailable`). Never a guest's page or a
   * redirect to the login, which a shopper would take for a logout.
   * @default 'error'
   */
  storeUnavailable?: 'error' | 'anonymous'
  /**
   * Trust the proxy's `X-Forwarded-Host`, `X-Forwarded-Proto` and `X-Forwarded-For` (shop by domain, the request's
   * origin for form posts, the login limiter's client address); only behind a proxy that overwrites them. The cookie's
   * `Secure` attribute does not depend on it.
   * @default false
   */
  trustProxy?: boolean
  /**
   * Most sessions one user may have; a login past it ends the least recently active one (in the same step as the
   * login's index write). 0 means no limit, which lets one account grow its device list without bound.
   * @default 100
   */
  maxSessionsPerUser?: number
  /** The RPC layer. */
  rpc?: StorefrontRpcOptions
  /** Baskets, wishlists and the merge at login. */
  commerce?: StorefrontCommerceOptions
  /** Defaults of `limitLoginAttempts(event, { account })`, the login limiter the app's `login` method calls. */
  loginLimit?: StorefrontLoginLimitOptions
}

/** Fixed-window limits of login attempts, kept in the session store. */
export interface StorefrontLoginLimitOptions {
  /**
   * Attempts per account (as given to `limitLoginAttempts`) in one window; past it a 429 with `Retry-After`. 0: no limit.
   * @default 10
   */
  perAccount?: number
  /**
   * Attempts per client address in one window. 0: no limit.
   * @default 100
   */
  perAddress?: number
  /**
   * The window, in seconds.
   * @default 900
   */
  window?: number
}

/** Options of the RPC layer. */
export interface StorefrontRpcOptions {
  /**
   * Folder under the server directory whose files are RPC methods (`server/rpc/<name>.ts`).
   * @default 'rpc'
   */
  dir?: string
  /**
   * Largest request body in bytes; a larger one is a 413.
   * @default 102400
   */
  bodyLimit?: number
  /**
   * Calls with an `Idempotency-Key` one session may make per hour (each keeps a record of its result for an hour);
   * past it, a new keyed call is a 429 with `Retry-After`, while repeats of recorded calls are still answered.
   * @default 500
   */
  idempotencyLimit?: number
  /**
   * Built-in methods the app replaces on purpose; replacing one not listed here logs a warning.
   * @default []
   */
  overrides?: string[]
  /**
   * Exact origins (`https://shop.example`: no path, no trailing slash) allowed to call state-changing methods; a
   * request with another `Origin` is a 403.
   * Empty turns the check off.
   * @default []
   */
  allowedOrigins?: string[]
}

/** Options of baskets and wishlists. */
export interface StorefrontCommerceOptions {
  /**
   * How a guest line meets the user's line for the same variant at login.
   * @default 'sum'
   */
  mergePolicy?: 'sum' | 'max' | 'keep-user'
  /**
   * Most units of one basket line.
   * @default 99
   */
  maxQuantityPerLine?: number
  /**
   * Most lines in one basket; a new line past it is a 400.
   * @default 100
   */
  maxBasketLines?: number
  /**
   * Most wishlist entries.
   * @default 200
   */
  maxWishlistItems?: number
  /**
   * Seconds (a whole number) basket and wishlist data live after their last write.
   * @default 2592000
   */
  dataTtl?: number
}
