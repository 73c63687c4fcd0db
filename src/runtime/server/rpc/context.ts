import type { H3Event } from 'h3'
import { createError, deleteCookie } from 'h3'
import type { StorefrontTokens, StorefrontUser } from '../../types'
import type { CommerceAdapterContext, CommerceLimits, CommerceOwner, StorefrontCommerceAdapters } from '../../types/commerce'
import type { StorefrontBasketApi, StorefrontLoginResult, StorefrontLogger, StorefrontRpcContext, StorefrontRpcContextBase, StorefrontSessionList, StorefrontSessionListOptions, StorefrontWishlistApi } from '../../types/rpc'
import { mergeGuestIntoUser, noMerge } from '../commerce/merge'
import { RpcBasket, RpcWishlist } from './commerce-api'
import { describeSession, encodeCursor, findUserSession, readPageRequest, writeLabel } from './devices'
import { CommerceConflictError, CommerceLimitError } from '../store/commerce'
import type { ResolvedShop } from '../session/config'
import { TOKEN_HEADER } from '../session/bearer'
import { cleanSessionLabel } from '../session/label'
import { describeValue, SessionLimitError, withStoreTimeout } from '../session/errors'
import { hashSessionId, isValidUserId, parseSessionId } from '../session/id'
import { userKeys } from '../store/keys'
import { openValue, sealValue, TOKENS_FIELD } from '../session/sealed'
import type { StorefrontSession } from '../session/session'
import { sessionCookieOptions } from '../session/session'
import type { UserRecordWrite } from '../store/session'
import { applyUserWrite, LEGACY_USER_FIELD, userChanges, userFields } from '../session/user-record'
import { readSessionUser } from '../utils/session-user'
import type { StorefrontRuntime } from '../utils/runtime'
import { hasHookListeners } from '../utils/runtime'
import { recordLogin } from '../telemetry'
import { logger } from '../log'

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
export function createRpcContext(event: H3Event, session: StorefrontSession, shop: ResolvedShop, runtime: StorefrontRuntime): StorefrontRpcContext {
  return new RequestRpcContext(event, session, shop, runtime)
}

/**
 * The context of one RPC call. Made on every call, so it is one object with its methods on the prototype (call them
 * on the context: `context.login(…)`), and the basket and wishlist APIs are made on first use. Its state sits in
 * plain properties set in the constructor, for the reasons given on the session class.
 */
class RequestRpcContext implements StorefrontRpcContextBase {
  declare shopId: string
  declare session: StorefrontSession
  declare event: H3Event
  declare log: StorefrontLogger
  private declare shop: ResolvedShop
  private declare runtime: StorefrontRuntime
  private declare basketApi: StorefrontBasketApi | undefined
  private declare wishlistApi: StorefrontWishlistApi | undefined
  private declare adapterCtx: CommerceAdapterContext | undefined

  constructor(event: H3Event, session: StorefrontSession, shop: ResolvedShop, runtime: StorefrontRuntime) {
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

  get tokens() {
    const stored = this.session.userId ? this.session.getField(TOKENS_FIELD) : undefined
    // Sealed at rest: opened with whichever configured secret sealed them.
    const plain = stored === undefined ? undefined : openValue(this.shop, stored)
    return plain === undefined ? null : JSON.parse(plain) as StorefrontTokens
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
    const current = this.requireUser()
    if (!user || user.id !== current.id) {
      throw createError({ status: 400, message: 'updateUser cannot change the user id' })
    }
    // Only the fields that changed since this request read the user are merged into the stored record, so that a
    // concurrent edit of another field survives. A session from before user records gets a whole record.
    const legacy = this.session.getUserRecord() === undefined
    const write: UserRecordWrite = legacy ? { set: userFields(user), del: [], replace: true } : userChanges(current, user)
    if (!legacy && Object.keys(write.set).length === 0 && write.del.length === 0) return
    this.writeUserRecord(write, user)
    if (legacy) this.session.setField(LEGACY_USER_FIELD, undefined)
  }

  updateTokens(tokens: StorefrontTokens) {
    this.requireUser()
    this.session.setField(TOKENS_FIELD, sealValue(this.shop, JSON.stringify(tokens)))
  }

  async login(user: StorefrontUser, options: { tokens?: StorefrontTokens, label?: string } = {}): Promise<StorefrontLoginResult> {
    const { session, shop, runtime } = this
    const userId = checkUserId(user?.id)
    // Checked before anything changes, like the user record below.
    const label = options.label === undefined ? undefined : cleanSessionLabel(options.label)
    const adapters = await runtime.adapters()
    const guestHash = !session.userId && !session.isNew ? hashSessionId(session.id) : undefined
    const adapterContext = this.adapterContext()
    // Checked before anything changes: a user the store cannot take fails the login before the merge.
    const record = userFields(user)
    checkUserRecordSize(shop, Object.entries(record).flat())
    const merge = guestHash
      ? await this.guard('login merge', async () => mergeGuestIntoUser(
          await runtime.commerceFor(shop.id),
          adapters,
          { kind: 'guest', shopId: shop.id, sessionHash: guestHash },
          { kind: 'user', shopId: shop.id, userId },
          adapterContext,
        ))
      : noMerge()
    // A new principal starts clean (see bindToUser): another user's session data never carries over, a guest's only
    // for the keys the app marks as guest-portable; a login as the same user keeps its data.
    session.bindToUser(userId)
    if (label !== undefined) session.setLabel(label)
    this.writeUserRecord({ set: record, del: [], replace: true }, user)
    session.setField(LEGACY_USER_FIELD, undefined)
    session.setField(TOKENS_FIELD, options.tokens ? sealValue(shop, JSON.stringify(options.tokens)) : undefined)
    // The merged guest data is deleted alongside the save of the new session (one round trip). If that save fails,
    // the login lock keeps guest writes out until it expires; the merge itself is already in the user's basket.
    session.alongNextCommit(() => this.guard('login cleanup', merge.clearGuest))
    recordLogin(shop.id, merge.report)
    if (hasHookListeners(runtime.hooks, 'storefront:login')) {
      await runtime.hooks.callHook('storefront:login', { shopId: shop.id, user, merge: merge.report, event: this.event })
    }
    return { user, merge: merge.report }
  }

  logout() {
    return this.endSession('logout')
  }

  destroySession() {
    return this.endSession('destroy')
  }

  async destroySessionsForUserId(userId: string, sessionsToKeep: string[] = []) {
    const { shop, runtime } = this
    const keys = userKeys(shop.id, checkUserId(userId))
    const keep = sessionsToKeep.filter(id => typeof id === 'string' && parseSessionId(id)).map(hashSessionId)
    const store = await runtime.sessionsFor(shop)
    const destroyed = await this.guard('destroy sessions', () => store.removeUserSessions(keys.index, keys.userSessionPrefix, keep))
    if (destroyed > 0 && hasHookListeners(runtime.hooks, 'storefront:session:destroyed')) {
      await runtime.hooks.callHook('storefront:session:destroyed', { shopId: shop.id, userId, event: this.event })
    }
    return destroyed
  }

  async listSessionsForUserId(userId: string, options: StorefrontSessionListOptions = {}): Promise<StorefrontSessionList> {
    const { session, shop, runtime } = this
    const keys = userKeys(shop.id, checkUserId(userId))
    const page = readPageRequest(options)
    const store = await runtime.sessionsFor(shop)
    const listed = await this.guard('list sessions', () => store.listUserSessions(keys.index, keys.userSessionPrefix, Date.now(), page))
    const currentHash = session.userId === userId && !session.isNew ? hashSessionId(session.id) : undefined
    return {
      sessions: listed.sessions.map(entry => describeSession(shop, userId, entry, currentHash)),
      nextCursor: listed.next ? encodeCursor(listed.next) : null,
      total: listed.total,
    }
  }

  setSessionLabel(label: string) {
    this.session.setLabel(label)
  }

  async labelSessionForUserId(userId: string, handle: string, label: string): Promise<boolean> {
    const clean = cleanSessionLabel(label)
    const found = await this.findByHandle(userId, handle)
    if (!found) return false
    if (found.current) {
      this.session.setLabel(clean)
      return true
    }
    return this.guard('label session', () => writeLabel(found.store, found.keys, found.meta, clean))
  }

  async revokeSessionForUserId(userId: string, handle: string): Promise<boolean> {
    const { shop, runtime } = this
    const found = await this.findByHandle(userId, handle)
    if (!found) return false
    if (found.current) {
      await this.logout()
      return true
    }
    await this.guard('revoke session', () => found.store.remove(found.keys))
    if (hasHookListeners(runtime.hooks, 'storefront:session:destroyed')) {
      await runtime.hooks.callHook('storefront:session:destroyed', { shopId: shop.id, userId, event: this.event })
    }
    return true
  }

  /** The live session of a user with a device handle (see {@link findUserSession}). */
  private async findByHandle(userId: string, handle: string) {
    const valid = checkUserId(userId)
    return findUserSession(this, this.shop, await this.runtime.sessionsFor(this.shop), valid, handle)
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
    return withStoreTimeout(operation, this.shop.storeTimeoutMs, () => work().catch(translateCommerceError))
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
      if (session.transport === 'bearer') this.event.node.res.setHeader(TOKEN_HEADER, '')
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

  private requireUser(): StorefrontUser {
    const user = readSessionUser(this.session)
    if (!user) throw createError({ status: 401, message: 'not logged in' })
    return user
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
    if (session.transport === 'bearer') event.node.res.removeHeader(TOKEN_HEADER)
    const cookies = event.node.res.getHeader('set-cookie')
    if (cookies !== undefined) {
      const kept = [cookies].flat().map(String).filter(cookie => !cookie.startsWith(`${shop.cookieName}=`))
      if (kept.length > 0) event.node.res.setHeader('set-cookie', kept)
      else event.node.res.removeHeader('set-cookie')
    }
  }

  /**
   * Writes the user's record (one per user and shop, read by every session of the user) alongside the next save, in
   * its round trip, and shows it to the rest of this request. A merge into a record that has gone meanwhile writes
   * the whole user instead.
   */
  private writeUserRecord(write: UserRecordWrite, user: StorefrontUser) {
    const { session, shop, runtime } = this
    const keys = userKeys(shop.id, session.userId!)
    const record = applyUserWrite(session.getUserRecord(), write)
    checkUserRecordSize(shop, record)
    session.setUserRecord(record)
    session.alongNextCommit(() => this.guard('user write', async () => {
      const store = await runtime.sessionsFor(shop)
      if (await store.writeUser(keys.profile, keys.index, write, shop.maxAgeMs)) return
      await store.writeUser(keys.profile, keys.index, { set: userFields(user), del: [], replace: true }, shop.maxAgeMs)
    }))
  }

  private async endSession(reason: 'logout' | 'destroy') {
    const { session, shop, runtime } = this
    const userId = session.userId
    session.destroy()
    await session.commit()
    if (reason === 'logout' && userId && hasHookListeners(runtime.hooks, 'storefront:logout')) {
      await runtime.hooks.callHook('storefront:logout', { shopId: shop.id, userId, event: this.event })
    }
  }
}

// The user's record has the session data's bound, counted the same way: UTF-8 bytes of names and values as stored.
function checkUserRecordSize(shop: ResolvedShop, pairs: readonly string[]) {
  const bytes = pairs.reduce((total, part) => total + Buffer.byteLength(part) + 1, 0)
  if (bytes > shop.maxDataSize) {
    throw new SessionLimitError(`the user record would be ${bytes} bytes, over the limit of ${shop.maxDataSize}`)
  }
}

function checkUserId(userId: unknown): string {
  if (!isValidUserId(userId)) {
    throw createError({ status: 400, message: `invalid user id ${describeValue(userId)}: use 1 to 64 characters from A-Z a-z 0-9 _ -` })
  }
  return userId
}

function translateCommerceError(error: unknown): never {
  if (error instanceof CommerceConflictError) throw createError({ status: 409, message: error.message })
  if (error instanceof CommerceLimitError) throw createError({ status: 400, message: error.message })
  throw error
}
