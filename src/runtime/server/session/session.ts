import type { H3Event } from 'h3'
import { deleteCookie, setCookie } from 'h3'
import type { StorefrontSessionData, StorefrontSessionMeta } from '../../types'
import type { ResolvedShop } from './config'
import { readCookieValues, signSessionId, unsignSessionId } from './cookie'
import { SessionLimitError, StoreUnavailableError, withStoreTimeout } from './errors'
import type { SessionIdInfo } from './id'
import { createGuestId, createUserSessionId, parseSessionId } from './id'
import type { SessionKeys } from './keys'
import { sessionKeys } from './keys'
import type { SessionFields, SessionStore } from './store'

const META = 'm'
const DATA = 'd:'
const FLASH = 'f:'
const MAX_KEY_LENGTH = 128

type Data = StorefrontSessionData & Record<string, unknown>
type DataKey = keyof Data & string

/** Stored meta: created, seen (last refresh), expires, absolute end, user agent. */
interface StoredMeta { c: number, s: number, e: number, a?: number, ua: string }

/** Callbacks the engine passes to every session. */
export interface SessionHooks {
  created?: (session: StorefrontSession, event: H3Event) => void | Promise<void>
  destroyed?: (info: { shopId: string, userId?: string }, event: H3Event) => void | Promise<void>
}

/** A shopper's session for one request. Reads are synchronous; changes are saved once, when the request ends. */
export interface StorefrontSession {
  /** The shop this session belongs to. */
  readonly shopId: string
  /** The current id. A guest who has not written yet gets one here that is not stored until the first write. */
  readonly id: string
  /** True until the session exists in the store. */
  readonly isNew: boolean
  /** For user-bound sessions, the user id part of the id. */
  readonly userId: string | undefined
  /** Created, last seen, expiry and user agent; undefined before the first save. */
  readonly meta: StorefrontSessionMeta | undefined
  /**
   * True when the request presented a valid signed cookie whose session no longer exists (expired, logged out, or
   * replaced by a login). The request runs as a fresh guest.
   */
  readonly ended: boolean
  /** Reads a value. */
  get: (<K extends DataKey>(key: K) => Data[K] | undefined) & (<K extends DataKey>(key: K, fallback: Data[K]) => Data[K])
  /** Writes a value (JSON-serialisable); `undefined` forgets the key. */
  put: <K extends DataKey>(key: K, value: Data[K]) => void
  /** Removes a value. */
  forget: (key: DataKey) => void
  /** Removes every value (the login, if any, stays). */
  flush: () => void
  /** Tells whether a value is set. */
  has: (key: DataKey) => boolean
  /** A copy of every value. */
  all: () => Partial<Data>
  /** Stores a value readable through getFlash during the next request only. */
  flash: (key: string, value: unknown) => void
  /** Reads a value flashed by the previous request. */
  getFlash: <T = unknown>(key: string, fallback?: T) => T | undefined
  /** Issues a new id, keeps the data, and deletes the old id when the request ends. */
  regenerate: () => void
  /** Deletes the session and clears the cookie; the request carries on as a fresh guest. */
  destroy: () => void
  /** Saves now instead of when the response is sent. Safe to call more than once. */
  commit: () => Promise<void>
  /** Makes sure the session exists in the store (creating an empty one if needed), then saves. */
  persist: () => Promise<void>
  /** Reads an internal field (user, tokens); for the module's own layers. */
  getField: (field: string) => string | undefined
  /** Writes (or with undefined, removes) an internal field; for the module's own layers. */
  setField: (field: string, value: string | undefined) => void
  /** Re-issues the session under `<userId>:<uuid>`; the old id dies when the request ends. */
  bindToUser: (userId: string) => void
  /** Runs work alongside the next save (its store commands share the save's round trip); the save fails if it fails. */
  alongNextCommit: (work: () => Promise<void>) => void
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
  const guard = <T>(operation: string, work: () => Promise<T>) => withStoreTimeout(operation, shop.storeTimeoutMs, work)
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
      throw new TypeError(`[storefront] session keys are strings of 1 to ${MAX_KEY_LENGTH} characters`)
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
  const expiryFrom = (createdAt: number, at: number) => {
    let expiresAt = at + shop.maxAgeMs
    const absolute = shop.absoluteMaxAgeMs ? createdAt + shop.absoluteMaxAgeMs : undefined
    if (absolute && absolute < expiresAt) expiresAt = absolute
    return { expiresAt, absolute }
  }

  async function commit() {
    if (options.detached) {
      if (dirty.size > 0) {
        console.warn(`[storefront] session changes on ${event.path} are not saved: static assets and cached routes get no session`)
        dirty.clear()
      }
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

  function cookieOptions(maxAge: number) {
    return { httpOnly: true, sameSite: shop.sameSite, secure: shop.secure, domain: shop.domainAttribute, path: '/', maxAge }
  }

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
      const out: Record<string, unknown> = {}
      for (const [field, value] of fields) {
        if (field.startsWith(DATA)) out[field.slice(DATA.length)] = JSON.parse(value)
      }
      return out as Partial<Data>
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

function parseMeta(raw: string | undefined): StoredMeta | undefined {
  if (!raw) return undefined
  try {
    const meta = JSON.parse(raw) as StoredMeta
    return typeof meta?.e === 'number' && typeof meta.c === 'number' && typeof meta.s === 'number' ? meta : undefined
  }
  catch {
    return undefined
  }
}

function userAgent(event: H3Event): string {
  const ua = event.node.req.headers['user-agent']
  return typeof ua === 'string' ? ua.slice(0, 256) : ''
}
