import type { H3Event } from 'h3'
import { createError, deleteCookie } from 'h3'
import type { StorefrontTokens, StorefrontUser } from '../../types'
import type { CommerceAdapterContext, CommerceOwner } from '../../types/commerce'
import type { StorefrontLogger, StorefrontRpcContext, StorefrontSessionInfo } from '../../types/rpc'
import { mergeGuestIntoUser, noMerge } from '../commerce/merge'
import { CommerceConflictError, CommerceLimitError } from '../commerce/store'
import type { ResolvedShop } from '../session/config'
import { describeValue, withStoreTimeout } from '../session/errors'
import { hashSessionId, isValidUserId, parseSessionId } from '../session/id'
import { userKeys } from '../session/keys'
import type { StorefrontSession } from '../session/session'
import { sessionCookieOptions } from '../session/session'
import type { StorefrontRuntime } from '../utils/runtime'

const USER = 'u'
const TOKENS = 't'

/**
 * Builds the context an RPC handler gets, bound to one request and its (already loaded) session.
 * @param event the request
 * @param session its session
 * @param shop its shop
 * @param runtime the module runtime
 * @returns the context
 */
export function createRpcContext(event: H3Event, session: StorefrontSession, shop: ResolvedShop, runtime: StorefrontRuntime): StorefrontRpcContext {
  const limits = runtime.limits(shop)
  const adapterContext: CommerceAdapterContext = { event, limits }
  const guard = <T>(operation: string, work: () => Promise<T>) => withStoreTimeout(operation, shop.storeTimeoutMs, () => work().catch(translateCommerceError))
  const parse = <T>(field: string): T | null => {
    const raw = session.getField(field)
    return raw === undefined ? null : JSON.parse(raw) as T
  }
  const requireUser = () => {
    const user = parse<StorefrontUser>(USER)
    if (!user || !session.userId) throw createError({ status: 401, message: 'not logged in' })
    return user
  }
  const checkUserId = (userId: unknown) => {
    if (!isValidUserId(userId)) {
      throw createError({ status: 400, message: `invalid user id ${describeValue(userId)}: use 1 to 64 characters from A-Z a-z 0-9 _ -` })
    }
    return userId
  }
  const owner = (): CommerceOwner => session.userId
    ? { kind: 'user', shopId: shop.id, userId: session.userId }
    : { kind: 'guest', shopId: shop.id, sessionHash: hashSessionId(session.id) }
  // A guest's first write creates the session first: guest writes require a live session (see CommerceGuard).
  // A write that comes with the cookie of a session that has ended (a login replaced it meanwhile, or it expired) is
  // refused rather than put into a new, empty guest session the shopper never sees again; the dead cookie is cleared
  // so that a retry starts afresh.
  const writableOwner = async () => {
    if (session.isNew && session.ended) {
      deleteCookie(event, shop.cookieName, sessionCookieOptions(shop, 0))
      throw createError({ status: 409, message: 'your session ended (signed in elsewhere, or expired); reload and try again', data: { code: 'session-ended' } })
    }
    if (session.isNew) await session.persist()
    return owner()
  }
  const log: StorefrontLogger = {
    info: (message, ...details) => console.info(`[storefront] ${message}`, ...details),
    warn: (message, ...details) => console.warn(`[storefront] ${message}`, ...details),
    error: (message, ...details) => console.error(`[storefront] ${message}`, ...details),
  }

  async function endSession(reason: 'logout' | 'destroy') {
    const userId = session.userId
    session.destroy()
    await session.commit()
    if (reason === 'logout' && userId) await runtime.hooks.callHook('storefront:logout', { shopId: shop.id, userId, event })
  }

  const context: StorefrontRpcContext = {
    shopId: shop.id,
    get sessionId() {
      return session.id
    },
    get user() {
      return session.userId ? parse<StorefrontUser>(USER) : null
    },
    get tokens() {
      return session.userId ? parse<StorefrontTokens>(TOKENS) : null
    },
    updateUser(user) {
      const current = requireUser()
      if (!user || user.id !== current.id) {
        throw createError({ status: 400, message: 'updateUser cannot change the user id' })
      }
      session.setField(USER, JSON.stringify(user))
    },
    updateTokens(tokens) {
      requireUser()
      session.setField(TOKENS, JSON.stringify(tokens))
    },

    async login(user, options = {}) {
      const userId = checkUserId(user?.id)
      const adapters = await runtime.adapters()
      const guestHash = !session.userId && !session.isNew ? hashSessionId(session.id) : undefined
      const merge = guestHash
        ? await guard('login merge', async () => mergeGuestIntoUser(
            await runtime.commerceFor(shop.id),
            adapters,
            { kind: 'guest', shopId: shop.id, sessionHash: guestHash },
            { kind: 'user', shopId: shop.id, userId },
            adapterContext,
          ))
        : noMerge()
      session.bindToUser(userId)
      session.setField(USER, JSON.stringify(user))
      session.setField(TOKENS, options.tokens ? JSON.stringify(options.tokens) : undefined)
      // The merged guest data is deleted alongside the save of the new session (one round trip). If that save fails,
      // the login lock keeps guest writes out until it expires; the merge itself is already in the user's basket.
      session.alongNextCommit(() => guard('login cleanup', merge.clearGuest))
      await runtime.hooks.callHook('storefront:login', { shopId: shop.id, user, merge: merge.report, event })
      return { user, merge: merge.report }
    },
    logout: () => endSession('logout'),
    destroySession: () => endSession('destroy'),

    async destroySessionsForUserId(userId, sessionsToKeep = []) {
      const keys = userKeys(shop.id, checkUserId(userId))
      const keep = sessionsToKeep.filter(id => typeof id === 'string' && parseSessionId(id)).map(hashSessionId)
      const store = await runtime.sessionsFor(shop)
      const destroyed = await guard('destroy sessions', () => store.removeUserSessions(keys.index, keys.userSessionPrefix, keep))
      if (destroyed > 0) await runtime.hooks.callHook('storefront:session:destroyed', { shopId: shop.id, userId, event })
      return destroyed
    },
    async listSessionsForUserId(userId): Promise<StorefrontSessionInfo[]> {
      const keys = userKeys(shop.id, checkUserId(userId))
      const store = await runtime.sessionsFor(shop)
      const entries = await guard('list sessions', () => store.listUserSessions(keys.index, keys.userSessionPrefix, Date.now()))
      const currentHash = session.userId === userId && !session.isNew ? hashSessionId(session.id) : undefined
      return entries.map(({ hash, meta }) => {
        const m = JSON.parse(meta) as { c: number, s: number, e: number, ua?: string }
        return { handle: hash, current: hash === currentHash, createdAt: m.c, lastSeenAt: m.s, expiresAt: m.e, userAgent: m.ua ?? '' }
      }).sort((a, b) => a.createdAt - b.createdAt)
    },

    session,
    basket: {
      limits,
      get: async () => session.isNew && !session.userId ? [] : guard('basket read', async () => (await runtime.adapters()).basket.get(owner(), adapterContext)),
      add: line => guard('basket write', async () => (await runtime.adapters()).basket.add(await writableOwner(), line, adapterContext)),
      setQuantity: line => guard('basket write', async () => (await runtime.adapters()).basket.setQuantity(await writableOwner(), line, adapterContext)),
      remove: variantId => guard('basket write', async () => (await runtime.adapters()).basket.remove(await writableOwner(), variantId, adapterContext)),
    },
    wishlist: {
      get: async () => session.isNew && !session.userId ? [] : guard('wishlist read', async () => (await runtime.adapters()).wishlist.get(owner(), adapterContext)),
      add: item => guard('wishlist write', async () => (await runtime.adapters()).wishlist.add(await writableOwner(), item, adapterContext)),
      remove: productId => guard('wishlist write', async () => (await runtime.adapters()).wishlist.remove(await writableOwner(), productId, adapterContext)),
    },
    log,
    event,
  }
  return context
}

function translateCommerceError(error: unknown): never {
  if (error instanceof CommerceConflictError) throw createError({ status: 409, message: error.message })
  if (error instanceof CommerceLimitError) throw createError({ status: 400, message: error.message })
  throw error
}
