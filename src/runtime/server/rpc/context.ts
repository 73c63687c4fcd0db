import type { H3Event } from 'h3'
import { createError, deleteCookie } from 'h3'
import type { StorefrontTokens, StorefrontUser } from '../../types'
import type { CommerceAdapterContext, CommerceLimits, CommerceOwner, StorefrontCommerceAdapters } from '../../types/commerce'
import type { StorefrontBasketApi, StorefrontLoginResult, StorefrontLogger, StorefrontRpcContext, StorefrontRpcContextBase, StorefrontSessionList, StorefrontSessionListOptions, StorefrontWishlistApi } from '../../types/rpc'
import { RpcBasket, RpcWishlist } from './commerce-api'
import { destroyUserSessions, labelUserSession, listUserSessions, revokeUserSession } from '../account/devices'
import { loginUser } from '../account/login'
import { endSession } from '../account/logout'
import { guardStoreStep } from '../account/request'
import { readSessionTokens, readSessionUser, updateSessionTokens, updateSessionUser } from '../account/user'
import type { ResolvedShop } from '../session/config'
import { TOKEN_HEADER } from '../session/bearer'
import { hashSessionId } from '../session/id'
import type { EngineSession } from '../session/session'
import { sessionCookieOptions } from '../session/session'
import type { StorefrontRuntime } from '../utils/runtime'
import { logger } from '../log'
import { nodeResponseHeader, removeNodeResponseHeader, setNodeResponseHeader } from '../internal/h3'

/** One logger for every call: it holds no state of its own. */
const log: StorefrontLogger = {
  info: (message, ...details) => logger.info(message, ...details),
  warn: (message, ...details) => logger.warn(message, ...details),
  error: (message, ...details) => logger.error(message, ...details),
}

/**
 * Builds the context an RPC handler gets, bound to one request and its (already loaded) session.
 * @param event the request
 * @param session its session
 * @param shop its shop
 * @param runtime the module runtime
 * @returns the context
 */
export function createRpcContext(event: H3Event, session: EngineSession, shop: ResolvedShop, runtime: StorefrontRuntime): StorefrontRpcContext {
  return new RequestRpcContext(event, session, shop, runtime)
}

/**
 * The context of one RPC call: a facade over the account operations (../account/) and the basket and wishlist
 * (./commerce-api), bound to one request. Made on every call, so it is one object with its methods on the prototype
 * (call them on the context: `context.login(…)`), and the basket and wishlist APIs are made on first use. Its state
 * sits in plain properties set in the constructor, for the reasons given on the session class; it is itself the
 * account request (event, session, shop, runtime) the account operations take.
 */
class RequestRpcContext implements StorefrontRpcContextBase {
  declare shopId: string
  declare session: EngineSession
  declare event: H3Event
  declare log: StorefrontLogger
  declare readonly shop: ResolvedShop
  declare readonly runtime: StorefrontRuntime
  private declare basketApi: StorefrontBasketApi | undefined
  private declare wishlistApi: StorefrontWishlistApi | undefined
  private declare adapterCtx: CommerceAdapterContext | undefined

  constructor(event: H3Event, session: EngineSession, shop: ResolvedShop, runtime: StorefrontRuntime) {
    this.shopId = shop.id
    this.session = session
    this.event = event
    this.log = log
    this.shop = shop
    this.runtime = runtime
    this.basketApi = undefined
    this.wishlistApi = undefined
    this.adapterCtx = undefined
  }

  get sessionId() {
    return this.session.id
  }

  get user() {
    return readSessionUser(this.session)
  }

  get tokens(): StorefrontTokens | null {
    return readSessionTokens(this)
  }

  get basket(): StorefrontBasketApi {
    return (this.basketApi ??= new RpcBasket(this))
  }

  get wishlist(): StorefrontWishlistApi {
    return (this.wishlistApi ??= new RpcWishlist(this))
  }

  /** What `JSON.stringify` shows of a context: the shop and the user, never the tokens or the session. */
  toJSON() {
    return { shopId: this.shopId, user: this.user }
  }

  updateUser(user: StorefrontUser) {
    updateSessionUser(this, user)
  }

  updateTokens(tokens: StorefrontTokens) {
    updateSessionTokens(this, tokens)
  }

  login(user: StorefrontUser, options: { tokens?: StorefrontTokens, label?: string } = {}): Promise<StorefrontLoginResult> {
    return loginUser(this, user, options)
  }

  logout() {
    return endSession(this, 'logout')
  }

  destroySession() {
    return endSession(this, 'destroy')
  }

  destroySessionsForUserId(userId: string, sessionsToKeep: string[] = []) {
    return destroyUserSessions(this, userId, sessionsToKeep)
  }

  listSessionsForUserId(userId: string, options: StorefrontSessionListOptions = {}): Promise<StorefrontSessionList> {
    return listUserSessions(this, userId, options)
  }

  setSessionLabel(label: string) {
    this.session.setLabel(label)
  }

  labelSessionForUserId(userId: string, handle: string, label: string): Promise<boolean> {
    return labelUserSession(this, userId, handle, label)
  }

  revokeSessionForUserId(userId: string, handle: string): Promise<boolean> {
    return revokeUserSession(this, userId, handle)
  }

  /** The basket and wishlist adapters in use. */
  adapters(): Promise<StorefrontCommerceAdapters> {
    return this.runtime.adapters()
  }

  /** The shop's commerce limits. */
  limits(): CommerceLimits {
    return this.runtime.limits(this.shop)
  }

  /** What the basket and wishlist adapters are given. */
  adapterContext(): CommerceAdapterContext {
    return (this.adapterCtx ??= { event: this.event, limits: this.limits() })
  }

  /** Runs a commerce step within the store timeout, with its conflicts and limits as 409 and 400. */
  guard<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return guardStoreStep(this.shop, operation, work)
  }

  /** The basket and wishlist owner of a read: the user, or the guest session. */
  owner(): CommerceOwner {
    const { session, shop } = this
    return session.userId
      ? { kind: 'user', shopId: shop.id, userId: session.userId }
      : { kind: 'guest', shopId: shop.id, sessionHash: hashSessionId(session.id) }
  }

  /**
   * The owner of a write. A guest's first write creates the session first: guest writes require a live session (see
   * CommerceGuard). A write that comes with the cookie of a session that has ended (a login replaced it meanwhile, or
   * it expired) is refused rather than put into a new, empty guest session the shopper never sees again; the dead
   * cookie is cleared so that a retry starts afresh.
   * @returns the owner
   */
  async writableOwner(): Promise<CommerceOwner> {
    const { session, shop } = this
    if (session.isNew && session.ended) {
      if (session.transport === 'bearer') setNodeResponseHeader(this.event, TOKEN_HEADER, '')
      else deleteCookie(this.event, shop.cookieName, sessionCookieOptions(shop, 0))
      throw createError({ status: 409, message: 'your session ended (signed in elsewhere, or expired); reload and try again', data: { code: 'session-ended' } })
    }
    if (session.isNew) await session.persist()
    return this.owner()
  }

  /**
   * Runs a write as {@link writableOwner}'s owner. When the write created the guest's session and then failed (an
   * adapter refused the line, say), the session is deleted again and its cookie withdrawn: a failed request saves
   * nothing.
   * @param step the write
   * @returns what the write returned
   */
  async writeAs<T>(step: (owner: CommerceOwner) => Promise<T>): Promise<T> {
    const creates = this.session.isNew
    const owner = await this.writableOwner()
    try {
      return await step(owner)
    }
    catch (error) {
      if (creates) await this.undoCreate()
      throw error
    }
  }

  /** True while a guest has no stored session: nothing to read. */
  hasNothingStored(): boolean {
    return this.session.isNew && !this.session.userId
  }

  private async undoCreate() {
    const { session, event, shop } = this
    session.destroy()
    try {
      await session.commit()
    }
    catch (error) {
      // The write failed already; a record left behind by a failed delete expires with the guest TTL.
      log.warn(`could not delete the session of a failed first write: ${(error as Error).message}`)
    }
    if (session.transport === 'bearer') removeNodeResponseHeader(event, TOKEN_HEADER)
    const cookies = nodeResponseHeader(event, 'set-cookie')
    if (cookies !== undefined) {
      const kept = [cookies].flat().map(String).filter(cookie => !cookie.startsWith(`${shop.cookieName}=`))
      if (kept.length > 0) setNodeResponseHeader(event, 'set-cookie', kept)
      else removeNodeResponseHeader(event, 'set-cookie')
    }
  }
}
