import type { H3Event } from 'h3'
import { deleteCookie, setCookie } from 'h3'
import type { StorefrontSession } from '../../types/session'
import type { ResolvedShop } from './config'
import { readCookieValues, signSessionId, unsignSessionId } from './cookie'
import { describeValue, SessionInputError, SessionLimitError, StoreUnavailableError, withStoreTimeout } from './errors'
import type { SessionIdInfo } from './id'
import { createGuestId, createUserSessionId, parseSessionId } from './id'
import type { SessionKeys } from './keys'
import { sessionKeys } from './keys'
import type { StoredMeta } from './meta'
import { parseMeta, sessionExpiry, userAgent } from './meta'
import type { SessionFields, SessionStore } from './store'

const META = 'm'
const DATA = 'd:'
const FLASH = 'f:'
const MAX_KEY_LENGTH = 128

export type { StorefrontSession }

/** Callbacks the engine passes to every session. */
export interface SessionHooks {
  created?: (session: StorefrontSession, event: H3Event) => void | Promise<void>
  destroyed?: (info: { shopId: string, userId?: string }, event: H3Event) => void | Promise<void>
}

/**
 * Loads the session of a request: verifies the cookie, validates the id, then reads the store at most once.
 * @param event the request
 * @param shop the request's shop
 * @param store the shop's store
 * @param hooks lifecycle callbacks
 * @param options `detached`: ignore the cookie and never save (static assets and cached routes)
 * @returns the session
 */
export async function loadSession(event: H3Event, shop: ResolvedShop, store: SessionStore, hooks: SessionHooks = {}, options: { detached?: boolean } = {}): Promise<StorefrontSession> {
  // A store whose client enforces the store timeout itself (Redis: commandTimeout) needs no timer per call.
  const guard = <T>(operation: string, work: () => Promise<T>) => withStoreTimeout(operation, store.timesOutItself ? 0 : shop.storeTimeoutMs, work)
  const now = Date.now()

  let info: SessionIdInfo | undefined
  let keys: SessionKeys | undefined
  let exists = false
  let forceCreate = false
  let meta: StoredMeta | undefined
  let touch = false
  let size = 0
  let cookieAction: 'set' | 'clear' | undefined
  const fields = new Map<string, string>()
  const incomingFlash = new Map<string, string>()
  const dirty = new Set<string>()
  const removed = new Set<string>()
  const pendingRemovals: { keys: SessionKeys, userId?: string }[] = []
  const alongside: (() => Promise<void>)[] = []

  const cookieValues = options.detached ? [] : readCookieValues(event.node.req.headers.cookie, shop.cookieName)
  const presentedCookie = cookieValues.length > 0
  // More than one distinct valid id (a planted cookie next to the real one) is ambiguous: the request is a guest.
  const ids = new Set(cookieValues.map(value => unsignSessionId(value, shop.secrets)).filter(id => id !== null))
  const presented = ids.size === 1 ? parseSessionId([...ids][0]!) : null
  let ended = false
  if (presented) {
    const presentedKeys = sessionKeys(shop.id, presented)
    const record = await guard('read', () => store.read(presentedKeys.session))
    const storedMeta = record ? parseMeta(record[META]) : undefined
    if (record && storedMeta && storedMeta.e > now && !(storedMeta.a && storedMeta.a <= now)) {
      info = presented
      keys = presentedKeys
      exists = true
      meta = storedMeta
      touch = now - storedMeta.s >= shop.refreshIntervalMs
      for (const [field, value] of Object.entries(record)) {
        if (field === META) continue
        if (field.startsWith(FLASH)) {
          incomingFlash.set(field.slice(FLASH.length), value)
          removed.add(field)
        }
        else {
          fields.set(field, value)
          size += field.length + value.length
        }
      }
    }
    ended = !exists
  }

  const ensureId = () => {
    if (!info) {
      info = { kind: 'guest', id: createGuestId() }
      keys = sessionKeys(shop.id, info)
    }
    return info
  }
  const write = (field: string, value: string | undefined) => {
    const previous = fields.get(field)
    const next = size - (previous === undefined ? 0 : field.length + previous.length) + (value === undefined ? 0 : field.length + value.length)
    if (value !== undefined && next > shop.maxDataSize) {
      throw new SessionLimitError(`session data would be ${next} bytes, over the limit of ${shop.maxDataSize}`)
    }
    size = next
    if (value === undefined) {
      if (fields.delete(field)) {
        dirty.delete(field)
        removed.add(field)
      }
      return
    }
    fields.set(field, value)
    dirty.add(field)
    removed.delete(field)
  }
  const checkKey = (key: string) => {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new SessionInputError(`session keys are strings of 1 to ${MAX_KEY_LENGTH} characters, got ${describeValue(key)}`)
    }
    return key
  }
  const reissue = (next: SessionIdInfo) => {
    if (exists) {
      pendingRemovals.push({ keys: keys!, userId: info?.kind === 'user' ? info.userId : undefined })
      exists = false
      forceCreate = true
      for (const field of fields.keys()) dirty.add(field)
      removed.clear()
    }
    info = next
    keys = sessionKeys(shop.id, next)
  }
  const expiryFrom = (createdAt: number, at: number) => sessionExpiry(shop, createdAt, at)

  async function commit() {
    if (options.detached) {
      if (dirty.size > 0) {
        console.warn(`[storefront] session changes on ${event.path} are not saved: static assets and cached routes get no session`)
        dirty.clear()
      }
      return
    }
    // A read-only request has nothing to save: return before any promise is made.
    if (dirty.size === 0 && removed.size === 0 && !touch && !forceCreate && pendingRemovals.length === 0 && alongside.length === 0 && !cookieAction) {
      return
    }
    const started = alongside.splice(0).map(work => work())
    const [created] = await Promise.all([save(), ...started])
    if (created) {
      await hooks.created?.(session, event)
    }
  }

  /** Writes what changed; returns true when it created the record. */
  async function save(): Promise<boolean> {
    const at = Date.now()
    let created = false
    if (!exists && (dirty.size > 0 || forceCreate)) {
      ensureId()
      const createdAt = forceCreate && meta ? meta.c : at
      const { expiresAt, absolute } = expiryFrom(createdAt, at)
      meta = { c: createdAt, s: at, e: expiresAt, ...(absolute ? { a: absolute } : {}), ua: userAgent(event) }
      const record: SessionFields = { [META]: JSON.stringify(meta) }
      for (const [field, value] of fields) record[field] = value
      const stored = await guard('create', () => store.create(keys!, record, { ttlMs: expiresAt - at, expiresAt }, { maxPerUser: shop.maxSessionsPerUser }))
      if (!stored) {
        throw new StoreUnavailableError('create (id collision)')
      }
      exists = true
      forceCreate = false
      created = true
      cookieAction = 'set'
    }
    else if (exists && (dirty.size > 0 || removed.size > 0 || touch)) {
      if (touch) {
        const { expiresAt } = expiryFrom(meta!.c, at)
        meta = { ...meta!, s: at, e: expiresAt }
        dirty.add(META)
        cookieAction = 'set'
      }
      const set: SessionFields = {}
      for (const field of dirty) set[field] = field === META ? JSON.stringify(meta) : fields.get(field)!
      const updated = await guard('update', () => store.update(keys!, { set, del: [...removed] }, { ttlMs: Math.max(1, meta!.e - at), expiresAt: meta!.e }))
      if (!updated) {
        // Destroyed meanwhile (logout elsewhere, destroy-all, expiry): never resurrect it.
        resetToGuest()
        cookieAction = 'clear'
      }
    }
    while (pendingRemovals.length > 0) {
      const removal = pendingRemovals[0]!
      await guard('remove', () => store.remove(removal.keys))
      pendingRemovals.shift()
      await hooks.destroyed?.({ shopId: shop.id, userId: removal.userId }, event)
    }
    dirty.clear()
    removed.clear()
    touch = false
    if (cookieAction === 'set' && exists) {
      setCookie(event, shop.cookieName, signSessionId(info!.id, shop.secrets.at(-1)!), cookieOptions(Math.floor((meta!.e - at) / 1000)))
    }
    else if (cookieAction === 'clear' && presentedCookie) {
      deleteCookie(event, shop.cookieName, cookieOptions(0))
    }
    cookieAction = undefined
    return created
  }

  const cookieOptions = (maxAge: number) => sessionCookieOptions(shop, maxAge)

  function resetToGuest() {
    info = undefined
    keys = undefined
    exists = false
    forceCreate = false
    meta = undefined
    touch = false
    size = 0
    fields.clear()
    dirty.clear()
    removed.clear()
  }

  const session: StorefrontSession = {
    shopId: shop.id,
    get id() {
      return ensureId().id
    },
    get isNew() {
      return !exists
    },
    get userId() {
      return info?.kind === 'user' ? info.userId : undefined
    },
    get ended() {
      return ended
    },
    get meta() {
      return meta && exists ? { createdAt: meta.c, lastSeenAt: meta.s, expiresAt: meta.e, userAgent: meta.ua } : undefined
    },
    get: ((key: string, fallback?: unknown) => {
      const raw = fields.get(DATA + checkKey(key))
      return raw === undefined ? fallback : JSON.parse(raw)
    }) as StorefrontSession['get'],
    put(key, value) {
      write(DATA + checkKey(key), serialise(value))
    },
    forget(key) {
      write(DATA + checkKey(key), undefined)
    },
    flush() {
      for (const field of [...fields.keys()]) {
        if (field.startsWith(DATA)) write(field, undefined)
      }
    },
    has: key => fields.has(DATA + checkKey(key)),
    all() {
      // fromEntries defines own properties: a key named __proto__ stays a key and never becomes the prototype.
      const entries = [...fields].filter(([field]) => field.startsWith(DATA)).map(([field, value]) => [field.slice(DATA.length), JSON.parse(value)])
      return Object.fromEntries(entries) as ReturnType<StorefrontSession['all']>
    },
    flash(key, value) {
      write(FLASH + checkKey(key), serialise(value))
    },
    getFlash<T>(key: string, fallback?: T) {
      const raw = incomingFlash.get(checkKey(key))
      return raw === undefined ? fallback : JSON.parse(raw) as T
    },
    regenerate() {
      const current = ensureId()
      reissue(current.kind === 'user' ? { kind: 'user', userId: current.userId, id: createUserSessionId(current.userId) } : { kind: 'guest', id: createGuestId() })
    },
    destroy() {
      if (exists) {
        pendingRemovals.push({ keys: keys!, userId: info?.kind === 'user' ? info.userId : undefined })
      }
      resetToGuest()
      incomingFlash.clear()
      cookieAction = 'clear'
    },
    commit,
    async persist() {
      if (!exists) {
        ensureId()
        forceCreate = true
      }
      await commit()
    },
    getField: field => fields.get(field),
    setField: (field, value) => write(field, value),
    bindToUser(userId) {
      reissue({ kind: 'user', userId, id: createUserSessionId(userId) })
      // A login starts a new session: created now, with a fresh absolute lifetime.
      meta = undefined
      forceCreate = true
    },
    alongNextCommit(work) {
      alongside.push(work)
    },
  }
  return session
}

function serialise(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value)
}

/**
 * The attributes of a shop's session cookie: HttpOnly always, path `/`, the shop's SameSite, Secure and Domain.
 * @param shop the shop
 * @param maxAge seconds; 0 clears the cookie
 * @returns options for h3's setCookie/deleteCookie
 */
export function sessionCookieOptions(shop: ResolvedShop, maxAge: number) {
  return { httpOnly: true, sameSite: shop.sameSite, secure: shop.secure, domain: shop.domainAttribute, path: '/', maxAge }
}
