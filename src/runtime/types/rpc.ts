import type { H3Event } from 'h3'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { StorefrontSession } from './session'
import type { BasketLine, CommerceLimits, MergeReport, WishlistItem } from './commerce'
import type { StorefrontTokens, StorefrontUser } from './user'

/** One of a user's sessions, as listing shows it. */
export interface StorefrontSessionInfo {
  /**
   * An opaque handle for `revokeSessionForUserId` and the `revokeSession` method: stable for the session's life and
   * the signing secret's, meaningful only for this user, and neither the session id nor its store key.
   */
  handle: string
  /** Whether it is the session of the current request. */
  current: boolean
  createdAt: number
  lastSeenAt: number
  expiresAt: number
  userAgent: string
  /** Browser family read from the user agent (`Firefox`, `Chrome`, `Safari`, `Edge`, …), `''` when unknown. */
  browser: string
  /** Operating system (`Windows`, `macOS`, `iOS`, `Android`, `Linux`, …), `''` when unknown. */
  os: string
  /** Device class. */
  device: 'desktop' | 'mobile' | 'tablet' | 'bot' | 'unknown'
  /** The label given at login or with `setSessionLabel`/`labelSession`, `''` when none. */
  label: string
}

/** Which page of a user's sessions to list. */
export interface StorefrontSessionListOptions {
  /** Sessions in the page: 1 to 200. @default 50 */
  limit?: number
  /** The `nextCursor` of the page before; none for the first page. */
  cursor?: string | null
}

/** One page of a user's sessions, least recently active first. */
export interface StorefrontSessionList {
  sessions: StorefrontSessionInfo[]
  /** Pass it as `cursor` for the next page; null after the last page. */
  nextCursor: string | null
  /** How many sessions the user's index holds (expired ones are pruned as pages are read). */
  total: number
}

/** What `login` returns. */
export interface StorefrontLoginResult<U extends StorefrontUser = StorefrontUser> {
  user: U
  merge: MergeReport
}

/** The basket of the current shopper (the user once logged in, else the guest session). */
export interface StorefrontBasketApi {
  /** The limits in force (per-line cap, most lines, merge policy). */
  readonly limits: CommerceLimits
  get: () => Promise<BasketLine[]>
  add: (line: BasketLine) => Promise<BasketLine[]>
  setQuantity: (line: BasketLine) => Promise<BasketLine[]>
  remove: (variantId: number) => Promise<BasketLine[]>
}

/** The wishlist of the current shopper. */
export interface StorefrontWishlistApi {
  get: () => Promise<WishlistItem[]>
  add: (item: WishlistItem) => Promise<WishlistItem[]>
  remove: (productId: number) => Promise<WishlistItem[]>
}

/** A tagged logger; nothing it is given should contain a credential. */
export interface StorefrontLogger {
  info: (message: string, ...details: unknown[]) => void
  warn: (message: string, ...details: unknown[]) => void
  error: (message: string, ...details: unknown[]) => void
}

/**
 * What every RPC handler gets. Extend it by augmenting `StorefrontRpcContextExtensions` in
 * `declare module '#storefront'` and filling it in the `storefront:context:created` hook.
 */
export interface StorefrontRpcContextBase {
  shopId: string
  /** The current session id; a guest who has not written yet gets an id that is not stored. */
  readonly sessionId: string
  /** The logged-in user, or null. Never contains the tokens. */
  readonly user: StorefrontUser | null
  /** Tokens given to `login`/`updateTokens`: server-side only, never serialised into a response. */
  readonly tokens: StorefrontTokens | null
  /** Replaces the stored user (same id). Needs a login. */
  updateUser: (user: StorefrontUser) => void
  /** Replaces the stored tokens. Needs a login. */
  updateTokens: (tokens: StorefrontTokens) => void
  /**
   * Logs a user in: re-issues the session as `<userId>:<uuid>`, deletes the guest session, records the new session in
   * the user's index, and merges the guest's basket and wishlist into the user's, exactly once. `label` names the
   * device in the user's session list (see `setSessionLabel`).
   */
  login: (user: StorefrontUser, options?: { tokens?: StorefrontTokens, label?: string }) => Promise<StorefrontLoginResult>
  /**
   * Labels the current session (`"Alice's iPhone"`) for the user's session list: control and format characters
   * stripped, trimmed, at most 64 characters, `''` removes it. A 400 for anything else.
   */
  setSessionLabel: (label: string) => void
  /**
   * Labels the one session of the user that has this handle (from `listSessionsForUserId`); false when none has.
   * A 400 for a label `setSessionLabel` refuses.
   */
  labelSessionForUserId: (userId: string, handle: string, label: string) => Promise<boolean>
  /** Ends the session; the request carries on as a guest. */
  logout: () => Promise<void>
  /** Ends the session (same as logout). */
  destroySession: () => Promise<void>
  /** Ends every session of a user except the ids kept, in bounded batches; all have ended when it resolves. Returns how many ended. */
  destroySessionsForUserId: (userId: string, sessionsToKeep?: string[]) => Promise<number>
  /** One page of the live sessions of a user (50 by default, at most 200), one bounded store step per page. */
  listSessionsForUserId: (userId: string, options?: StorefrontSessionListOptions) => Promise<StorefrontSessionList>
  /** Ends the one session of the user that has this handle (from `listSessionsForUserId`); false when none has. */
  revokeSessionForUserId: (userId: string, handle: string) => Promise<boolean>
  /** The session data API. */
  session: StorefrontSession
  basket: StorefrontBasketApi
  wishlist: StorefrontWishlistApi
  log: StorefrontLogger
  event: H3Event
}

/** Fields apps add to the RPC context (through the `storefront:context:created` hook). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StorefrontRpcContextExtensions {}

/** The RPC context. */
export type StorefrontRpcContext = StorefrontRpcContextBase & StorefrontRpcContextExtensions

/** Options of `defineRpcHandler`. */
export interface RpcHandlerOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /**
   * `'GET'` declares the method public: callable with GET (params in `?payload=<json>`) as well as POST.
   * @default 'POST'
   */
  method?: 'POST' | 'GET'
  /** A Standard Schema validator (zod, valibot, …) for the params; a failure is a 400 naming the field. */
  input?: S
  /**
   * `true` also serves the method to an HTML form without JavaScript: `POST /api/form/<name>` with the form's fields as
   * params (a field named `quantity:number` is sent as the number `quantity`), answered with a 303 redirect back.
   * @default false
   */
  form?: boolean
}

/** A defined RPC method. `P` is what callers send, `R` what they get back. */
export interface RpcDefinition<P = unknown, R = unknown> {
  readonly __storefrontRpc: true
  readonly method: 'POST' | 'GET'
  readonly input?: StandardSchemaV1
  /** True when the handler takes only the context. */
  readonly contextOnly: boolean
  /** True when HTML forms may call it at `/api/form/<name>`. */
  readonly form?: boolean
  readonly handler: (params: P, context: StorefrontRpcContext) => R | Promise<R>
}

/** The params a method takes. */
export type RpcParams<D> = D extends RpcDefinition<infer P, infer _R> ? P : never
/** What a method returns. */
export type RpcResult<D> = D extends RpcDefinition<infer _P, infer R> ? Awaited<R> : never
