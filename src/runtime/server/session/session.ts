import type { H3Event } from 'h3'
import { deleteCookie, setCookie } from 'h3'
import type { StorefrontSession, StorefrontSessionKey, StorefrontSessionValues } from '../../types/session'
import type { ResolvedShop } from './config'
import { readTransport, TOKEN_HEADER } from './bearer'
import { cleanSessionLabel, withLabel } from './label'
import { signSessionId } from './cookie'
import { describeValue, SessionInputError, SessionLimitError, StoreUnavailableError, toStoreError, withStoreTimeout } from './errors'
import type { SessionIdInfo } from './id'
import { createGuestId, createUserSessionId } from './id'
import type { SessionKeys } from '../store/keys'
import { sessionKeys } from '../store/keys'
import type { StoredMeta } from './meta'
import { sessionExpiry, userAgent } from './meta'
import type { Presented } from './presented'
import { presentValue, readPresented } from './presented'
import { hasFlashField, isFlashField, isLongRecord, lineValue, META_FIELD as META, recordPairs } from '../store/record'
import { resealIfStale, TOKENS_FIELD } from './sealed'
import type { SessionFields, SessionRecord, SessionStore } from '../store/session'
import { logger, logRateLimited } from '../log'

const DATA = 'd:'
const FLASH = 'f:'
const MAX_KEY_LENGTH = 128

export type { StorefrontSession }

/** Callbacks the engine passes to every session. */
export interface SessionHooks {
  created?: (session: StorefrontSession, event: H3Event) => void | Promise<void>
  destroyed?: (info: { shopId: string, userId?: string }, event: H3Event) => void | Promise<void>
}

/** Options of {@link loadSession}. */
export interface LoadSessionOptions {
  /** Ignore the cookie and never save (static assets and cached routes). */
  detached?: boolean
  /**
   * The request's engine context: the session is put on it once loaded, and a failed load is taken off it so that a
   * later call can load again.
   */
  context?: { session?: Promise<StorefrontSession>, loaded?: StorefrontSession }
}

const NO_HOOKS: SessionHooks = {}
const NO_OPTIONS: LoadSessionOptions = {}

/**
 * Loads the session of a request: verifies the cookie, validates the id, then reads the store at most once.
 * @param event the request
 * @param shop the request's shop
 * @param store the shop's store
 * @param hooks lifecycle callbacks
 * @param options see {@link LoadSessionOptions}
 * @returns the session
 */
export function loadSession(event: H3Event, shop: ResolvedShop, store: SessionStore, hooks: SessionHooks = NO_HOOKS, options: LoadSessionOptions = NO_OPTIONS): Promise<StorefrontSession> {
  return openSession(event, shop, store, hooks, options.detached === true, options.context)
}

/**
 * {@link loadSession} with its options spread out, for the engine: no options object per request, and no async
 * function (one promise less between the store's answer and the caller).
 * @param event the request
 * @param shop the request's shop
 * @param store the shop's store
 * @param hooks lifecycle callbacks
 * @param detached ignore the cookie and never save
 * @param context the request's engine context, if any
 * @returns the session
 */
export function openSession(event: H3Event, shop: ResolvedShop, store: SessionStore, hooks: SessionHooks, detached: boolean, context: LoadSessionOptions['context']): Promise<StorefrontSession> {
  let presented: Presented | null | undefined
  let bearer = false
  if (detached) presented = undefined
  // A cookie-only shop never looks at the Authorization header: its read path is the cookie's alone.
  else if (!shop.bearer) presented = readPresented(shop, event.node.req.headers.cookie)
  else {
    try {
      const read = readTransport(event, shop, header => readPresented(shop, header), value => presentValue(shop, value))
      presented = read.presented
      bearer = read.bearer
    }
    catch (error) {
      return Promise.reject(error)
    }
  }
  const session = new RequestSession(event, shop, store, hooks, detached, presented !== undefined, bearer)
  if (!presented) {
    if (context) context.loaded = session
    return Promise.resolve(session)
  }
  const keys = presented.keys
  const failed = (error: unknown) => {
    // Runs after the caller has put the promise on the context: take it off, so that a later call can load again.
    if (context) context.session = undefined
    throw toStoreError('read', error)
  }
  // A store that enforces the store timeout itself (Redis: its watchdog) needs no timer per call.
  const timed = <T>(read: () => Promise<T>): Promise<T> => {
    try {
      return store.timesOutItself ? read() : withStoreTimeout('read', shop.storeTimeoutMs, read)
    }
    catch (error) {
      return Promise.reject(error)
    }
  }
  if (keys.profile) {
    // A user session is read with its user's record, in the same round trip.
    const profile = keys.profile
    return timed(() => store.readWithUser(keys.session, profile)).then(
      (records) => {
        session.open(presented, records[0], Date.now(), records[1])
        if (context) context.loaded = session
        return session
      },
      failed,
    )
  }
  return timed(() => store.read(keys.session)).then(
    (record) => {
      session.open(presented, record, Date.now(), null)
      if (context) context.loaded = session
      return session
    },
    failed,
  )
}

/** The change tracking of a session that is written to; made on the first write, so a read-only request has none. */
interface Changes {
  /** Every field but meta and incoming flash, as it will be saved. */
  fields: Map<string, string>
  /** UTF-8 bytes of field names and values with their line feeds, as stored; checked against `maxDataSize`. */
  size: number
  dirty: Set<string>
  removed: Set<string>
}

const RESOLVED: Promise<void> = Promise.resolve()

/**
 * A request's session. Reads come from the record as the store returned it (never changed: a store may hand out a
 * shared object); the first write copies it into {@link Changes}.
 *
 * Its state lives in plain properties, every one set in the constructor: Nitro compiles server code for ES2019, which
 * turns `#private` fields into WeakMap lookups and class field initialisers into defineProperty calls, both far too
 * slow for an object made on every request. `toJSON` and the inspect hook keep the shop's settings (its secrets
 * among them) out of serialised or logged sessions.
 */
class RequestSession implements StorefrontSession {
  declare readonly shopId: string
  private declare event: H3Event
  private declare shop: ResolvedShop
  private declare store: SessionStore
  private declare hooks: SessionHooks
  private declare detached: boolean
  private declare presentedCookie: boolean
  private declare bearer: boolean
  private declare info: SessionIdInfo | undefined
  private declare keys: SessionKeys | undefined
  private declare exists: boolean
  private declare hasEnded: boolean
  private declare forceCreate: boolean
  private declare touch: boolean
  private declare storedMeta: StoredMeta | undefined
  private declare record: SessionRecord | undefined
  private declare recordIndex: Map<string, string> | undefined
  private declare changes: Changes | undefined
  private declare incomingFlash: Map<string, string> | undefined
  private declare pendingRemovals: { keys: SessionKeys, userId?: string }[] | undefined
  private declare alongside: (() => Promise<void>)[] | undefined
  private declare cookieAction: 'set' | 'clear' | undefined
  private declare userRecord: SessionRecord | undefined
  /** A label set before the session has meta (a guest's first write, a login); stored with the meta it creates. */
  private declare pendingLabel: string | undefined

  constructor(event: H3Event, shop: ResolvedShop, store: SessionStore, hooks: SessionHooks, detached: boolean, presentedCookie: boolean, bearer: boolean) {
    this.shopId = shop.id
    this.event = event
    this.shop = shop
    this.store = store
    this.hooks = hooks
    this.detached = detached
    this.presentedCookie = presentedCookie
    this.bearer = bearer
    this.info = undefined
    this.keys = undefined
    this.exists = false
    this.hasEnded = false
    this.forceCreate = false
    this.touch = false
    this.storedMeta = undefined
    this.record = undefined
    this.recordIndex = undefined
    this.changes = undefined
    this.incomingFlash = undefined
    this.pendingRemovals = undefined
    this.alongside = undefined
    this.cookieAction = undefined
    this.userRecord = undefined
    this.pendingLabel = undefined
  }

  /** What `JSON.stringify` shows of a session: never its data, id or the shop's settings. */
  toJSON() {
    return { shopId: this.shopId, userId: this.userId, isNew: this.isNew, ended: this.hasEnded }
  }

  /** What `console.log` and `util.inspect` show: the same as {@link RequestSession.toJSON}. */
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return this.toJSON()
  }

  /**
   * Takes in the record a valid cookie pointed at (and for a user session, the user's record); a missing, expired or
   * malformed one leaves a fresh guest. The absolute lifetime is checked against the creation time too, so that it
   * applies to sessions created before it was set or lowered.
   */
  open(presented: Presented, record: SessionRecord | null, now: number, userRecord: SessionRecord | null) {
    const meta = record === null ? undefined : presented.metaOf(record)
    const absolute = this.shop.absoluteMaxAgeMs
    if (!record || !meta || meta.e <= now || (meta.a && meta.a <= now) || (absolute > 0 && meta.c + absolute <= now)) {
      this.hasEnded = true
      return
    }
    if (userRecord !== null) this.userRecord = userRecord
    this.info = presented.info
    this.keys = presented.keys
    this.exists = true
    this.storedMeta = meta
    this.record = record
    this.touch = now - meta.s >= this.shop.refreshIntervalMs
    if (hasFlashField(record)) {
      const pairs = (this.record = recordPairs(record))
      for (let i = 0; i < pairs.length; i += 2) {
        const field = pairs[i]!
        if (isFlashField(field)) {
          // A flash lives for this request only: read it here, delete it with this request's save.
          ;(this.incomingFlash ??= new Map()).set(field.slice(FLASH.length), pairs[i + 1]!)
          this.mutable().removed.add(field)
        }
      }
    }
  }

  get id() {
    return this.ensureId().id
  }

  get isNew() {
    return !this.exists
  }

  get userId() {
    const info = this.info
    return info?.kind === 'user' ? info.userId : undefined
  }

  get ended() {
    return this.hasEnded
  }

  get transport() {
    return this.bearer ? 'bearer' as const : 'cookie' as const
  }

  get meta() {
    const meta = this.storedMeta
    return meta && this.exists ? { createdAt: meta.c, lastSeenAt: meta.s, expiresAt: meta.e, userAgent: meta.ua, label: meta.l ?? '' } : undefined
  }

  get label() {
    return (this.storedMeta ? this.storedMeta.l : this.pendingLabel) ?? ''
  }

  setLabel(label: string) {
    const clean = cleanSessionLabel(label)
    // The label lives in the meta field, which every read returns anyway: no extra field, no extra round trip.
    if (this.storedMeta) this.storedMeta = withLabel(this.storedMeta, clean)
    else this.pendingLabel = clean
    this.mutable().dirty.add(META)
  }

  get<K extends StorefrontSessionKey>(key: K): StorefrontSessionValues[K] | undefined
  get<K extends StorefrontSessionKey>(key: K, fallback: StorefrontSessionValues[K]): StorefrontSessionValues[K]
  get(key: string, fallback?: unknown): unknown {
    const raw = this.readField(dataField(key))
    return raw === undefined ? fallback : JSON.parse(raw)
  }

  put(key: string, value: unknown) {
    this.writeField(dataField(key), serialise(value))
  }

  forget(key: string) {
    this.writeField(dataField(key), undefined)
  }

  flush() {
    for (const field of [...this.mutable().fields.keys()]) {
      if (field.startsWith(DATA)) this.writeField(field, undefined)
    }
  }

  has(key: string) {
    return this.readField(dataField(key)) !== undefined
  }

  all() {
    const entries: [string, unknown][] = []
    for (const [field, value] of this.mutable().fields) {
      if (field.startsWith(DATA)) entries.push([field.slice(DATA.length), JSON.parse(value)])
    }
    // fromEntries defines own properties: a key named __proto__ stays a key and never becomes the prototype.
    return Object.fromEntries(entries) as ReturnType<StorefrontSession['all']>
  }

  flash(key: string, value: unknown) {
    this.writeField(FLASH + checkKey(key), serialise(value))
  }

  getFlash<T>(key: string, fallback?: T) {
    const raw = this.incomingFlash?.get(checkKey(key))
    return raw === undefined ? fallback : JSON.parse(raw) as T
  }

  regenerate() {
    const current = this.ensureId()
    this.reissue(current.kind === 'user' ? { kind: 'user', userId: current.userId, id: createUserSessionId(current.userId) } : { kind: 'guest', id: createGuestId() })
  }

  destroy() {
    if (this.exists) {
      this.scheduleRemoval()
    }
    this.resetToGuest()
    this.incomingFlash = undefined
    this.cookieAction = 'clear'
  }

  commit(): Promise<void> {
    if (this.detached) {
      if (this.changes && this.changes.dirty.size > 0) {
        logger.warn(`session changes on ${this.event.path} are not saved: static assets and cached routes get no session`)
        this.changes.dirty.clear()
      }
      return RESOLVED
    }
    // A read-only request has nothing to save: no promise is made.
    const changes = this.changes
    if (!this.touch && !this.forceCreate && !this.cookieAction && !this.pendingRemovals?.length && !this.alongside?.length
      && (!changes || (changes.dirty.size === 0 && changes.removed.size === 0))) {
      return RESOLVED
    }
    return this.commitChanges()
  }

  async persist() {
    if (!this.exists) {
      this.ensureId()
      this.forceCreate = true
    }
    await this.commit()
  }

  getField(field: string) {
    return this.readField(field)
  }

  setField(field: string, value: string | undefined) {
    // A line feed would split the field in two in the Redis store, which keeps a record as lines.
    if (field.length === 0 || field.includes('\n') || value?.includes('\n')) {
      throw new SessionInputError(`session field ${describeValue(field)} or its value holds a line feed, or the field is empty`)
    }
    this.writeField(field, value)
  }

  getUserRecord() {
    return this.userRecord
  }

  setUserRecord(record: SessionRecord | undefined) {
    this.userRecord = record
  }

  bindToUser(userId: string) {
    const current = this.info
    const sameUser = current?.kind === 'user' && current.userId === userId
    // A login as the same user keeps the device's label; another principal starts without one.
    this.pendingLabel = sameUser ? this.label || undefined : undefined
    if (!sameUser) {
      // A new principal starts clean: nothing of another user's session carries over, and of a guest's only the keys
      // the app marks as guest-portable. What does not carry over is dropped before the re-issue copies the rest.
      const portable = this.shop.guestPortableFields
      const keep = current?.kind === 'user' ? undefined : portable.has('*') ? isDataField : (field: string) => portable.has(field)
      if (this.changes || this.record) {
        for (const field of [...this.mutable().fields.keys()]) {
          if (!keep?.(field)) this.writeField(field, undefined)
        }
      }
      this.incomingFlash = undefined
      this.userRecord = undefined
    }
    this.reissue({ kind: 'user', userId, id: createUserSessionId(userId) })
    // A login starts a new session: created now, with a fresh absolute lifetime.
    this.storedMeta = undefined
    this.forceCreate = true
  }

  alongNextCommit(work: () => Promise<void>) {
    (this.alongside ??= []).push(work)
  }

  /** A field's value: from the changes once written, else from the record (meta and incoming flash excluded). */
  private readField(field: string): string | undefined {
    if (this.changes) {
      return this.changes.fields.get(field)
    }
    let record = this.record
    if (!record || field === META || isFlashField(field)) {
      return undefined
    }
    if (typeof record === 'string') {
      if (!isLongRecord(record)) return lineValue(record, field)
      // Long stored lines are split once and looked up as pairs from then on.
      record = this.record = recordPairs(record)
    }
    if (record.length > INDEXED_RECORD_LENGTH) {
      return (this.recordIndex ??= indexRecord(record)).get(field)
    }
    for (let i = 0; i < record.length; i += 2) {
      if (record[i] === field) return record[i + 1]
    }
    return undefined
  }

  private mutable(): Changes {
    if (this.changes) {
      return this.changes
    }
    const fields = new Map<string, string>()
    let size = 0
    const record = this.record && recordPairs(this.record)
    if (record) {
      for (let i = 0; i < record.length; i += 2) {
        const field = record[i]!
        if (field === META || isFlashField(field) || fields.has(field)) continue
        const value = record[i + 1]!
        fields.set(field, value)
        size += storedBytes(field, value)
      }
    }
    this.changes = { fields, size, dirty: new Set(), removed: new Set() }
    return this.changes
  }

  private writeField(field: string, value: string | undefined) {
    const changes = this.mutable()
    const previous = changes.fields.get(field)
    const next = changes.size - (previous === undefined ? 0 : storedBytes(field, previous)) + (value === undefined ? 0 : storedBytes(field, value))
    if (value !== undefined && next > this.shop.maxDataSize) {
      throw new SessionLimitError(`session data would be ${next} bytes, over the limit of ${this.shop.maxDataSize}`)
    }
    changes.size = next
    if (value === undefined) {
      if (changes.fields.delete(field)) {
        changes.dirty.delete(field)
        changes.removed.add(field)
      }
      return
    }
    changes.fields.set(field, value)
    changes.dirty.add(field)
    changes.removed.delete(field)
  }

  private ensureId(): SessionIdInfo {
    if (!this.info) {
      this.info = { kind: 'guest', id: createGuestId() }
      this.keys = sessionKeys(this.shop.id, this.info)
    }
    return this.info
  }

  private scheduleRemoval() {
    const info = this.info
    ;(this.pendingRemovals ??= []).push({ keys: this.keys!, userId: info?.kind === 'user' ? info.userId : undefined })
  }

  private reissue(next: SessionIdInfo) {
    if (this.exists) {
      this.scheduleRemoval()
      this.exists = false
      this.forceCreate = true
      const changes = this.mutable()
      for (const field of changes.fields.keys()) changes.dirty.add(field)
      changes.removed.clear()
    }
    this.info = next
    this.keys = sessionKeys(this.shop.id, next)
  }

  private resetToGuest() {
    this.info = undefined
    this.keys = undefined
    this.exists = false
    this.forceCreate = false
    this.storedMeta = undefined
    this.touch = false
    this.record = undefined
    this.recordIndex = undefined
    this.changes = undefined
    this.userRecord = undefined
    this.pendingLabel = undefined
  }

  private guardStore<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return withStoreTimeout(operation, this.store.timesOutItself ? 0 : this.shop.storeTimeoutMs, work)
  }

  /** Tokens stored in clear or sealed under an older secret are sealed under the signing secret by any write. */
  private resealTokens(changes: Changes) {
    const stored = changes.fields.get(TOKENS_FIELD)
    const resealed = stored === undefined ? undefined : resealIfStale(this.shop, stored)
    if (resealed !== undefined) this.writeField(TOKENS_FIELD, resealed)
  }

  private async commitChanges() {
    const alongside = this.alongside?.splice(0) ?? []
    const [created] = await Promise.all([this.saveChanges(), ...alongside.map(work => work())])
    if (created) {
      await this.hooks.created?.(this, this.event)
    }
  }

  /** Writes what changed; returns true when it created the record. */
  private async saveChanges(): Promise<boolean> {
    const shop = this.shop
    const store = this.store
    const event = this.event
    const changes = this.mutable()
    const at = Date.now()
    let created = false
    if (!this.exists && (changes.dirty.size > 0 || this.forceCreate)) {
      this.ensureId()
      const keys = this.keys!
      const createdAt = this.forceCreate && this.storedMeta ? this.storedMeta.c : at
      const { expiresAt, absolute } = sessionExpiry(shop, createdAt, at)
      const label = this.label
      const meta: StoredMeta = { c: createdAt, s: at, e: expiresAt, ...(absolute ? { a: absolute } : {}), ua: userAgent(event), ...(label ? { l: label } : {}) }
      this.storedMeta = meta
      this.pendingLabel = undefined
      this.resealTokens(changes)
      const record: SessionFields = { [META]: JSON.stringify(meta) }
      for (const [field, value] of changes.fields) record[field] = value
      const stored = await this.guardStore('create', () => store.create(keys, record, { ttlMs: expiresAt - at, expiresAt }, { maxPerUser: shop.maxSessionsPerUser }))
      if (!stored) {
        throw new StoreUnavailableError('create (id collision)')
      }
      this.exists = true
      this.forceCreate = false
      created = true
      this.cookieAction = 'set'
    }
    else if (this.exists && (changes.dirty.size > 0 || changes.removed.size > 0 || this.touch)) {
      const keys = this.keys!
      // A request that only refreshes (nothing written) must still answer when the refresh fails (a store out of
      // memory, say): the refresh is best effort, and the next request tries again.
      // (The flash this request read is dropped by the same save: a refresh that fails leaves it for the next one.)
      const refreshOnly = changes.dirty.size === 0 && !this.pendingRemovals?.length && [...changes.removed].every(isFlashField)
      const before = this.storedMeta
      const refreshed = this.touch
      if (this.touch) {
        const { expiresAt } = sessionExpiry(shop, this.storedMeta!.c, at)
        this.storedMeta = { ...this.storedMeta!, s: at, e: expiresAt }
        changes.dirty.add(META)
        this.cookieAction = 'set'
      }
      this.resealTokens(changes)
      const meta = this.storedMeta!
      const set: SessionFields = {}
      for (const field of changes.dirty) set[field] = field === META ? JSON.stringify(meta) : changes.fields.get(field)!
      let updated: boolean
      try {
        // A guest's refresh takes its basket and wishlist along: they live as long as the guest session.
        const target = refreshed && !keys.index ? { ...keys, follow: [`${keys.owner}:b`, `${keys.owner}:w`] } : keys
        updated = await this.guardStore('update', () => store.update(target, { set, del: [...changes.removed] }, { ttlMs: Math.max(1, meta.e - at), expiresAt: meta.e }))
      }
      catch (error) {
        if (!refreshOnly) throw error
        logRateLimited('session refresh', `a rolling session refresh failed and is tried again on a later request: ${(error as Error)?.message ?? error}`)
        this.storedMeta = before
        changes.dirty.clear()
        this.touch = false
        this.cookieAction = undefined
        return false
      }
      if (!updated) {
        // Destroyed meanwhile (logout elsewhere, destroy-all, expiry): never resurrect it.
        this.resetToGuest()
        this.cookieAction = 'clear'
      }
    }
    const removals = this.pendingRemovals
    while (removals && removals.length > 0) {
      const removal = removals[0]!
      await this.guardStore('remove', () => store.remove(removal.keys))
      removals.shift()
      await this.hooks.destroyed?.({ shopId: shop.id, userId: removal.userId }, event)
    }
    // After a reset the changes are new and empty; otherwise what was just saved is no longer pending.
    if (this.changes) {
      this.changes.dirty.clear()
      this.changes.removed.clear()
    }
    this.touch = false
    if (this.cookieAction === 'set' && this.exists) {
      const value = signSessionId(this.info!.id, shop.secrets.at(-1)!)
      // A bearer client gets the same signed value in a response header, never as a cookie.
      if (this.bearer) event.node.res.setHeader(TOKEN_HEADER, value)
      else setCookie(event, shop.cookieName, value, sessionCookieOptions(shop, Math.floor((this.storedMeta!.e - at) / 1000)))
    }
    else if (this.cookieAction === 'clear' && this.presentedCookie) {
      if (this.bearer) event.node.res.setHeader(TOKEN_HEADER, '')
      else deleteCookie(event, shop.cookieName, sessionCookieOptions(shop, 0))
    }
    this.cookieAction = undefined
    return created
  }
}

const isDataField = (field: string) => field.startsWith(DATA)

function checkKey(key: string): string {
  // A line feed would split the field in two in the Redis store, which keeps a record as lines.
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes('\n')) {
    throw new SessionInputError(`session keys are strings of 1 to ${MAX_KEY_LENGTH} characters without a line feed, got ${describeValue(key)}`)
  }
  return key
}

// Field names of data keys, made once per key: checking and prefixing a key costs a lookup after its first use.
const dataFields = new Map<string, string>()
const DATA_FIELDS_KEPT = 1_000

function dataField(key: string): string {
  let field = dataFields.get(key)
  if (field === undefined) {
    field = DATA + checkKey(key)
    if (dataFields.size >= DATA_FIELDS_KEPT) dataFields.clear()
    dataFields.set(key, field)
  }
  return field
}

// A record of more than 16 fields (32 names and values) is looked up through a map, built on the first read.
const INDEXED_RECORD_LENGTH = 32

function indexRecord(record: readonly string[]): Map<string, string> {
  const index = new Map<string, string>()
  for (let i = 0; i < record.length; i += 2) {
    if (!index.has(record[i]!)) index.set(record[i]!, record[i + 1]!)
  }
  return index
}

/** Bytes a field takes as stored: its name and value in UTF-8, each followed by a line feed. */
function storedBytes(field: string, value: string): number {
  return Buffer.byteLength(field) + Buffer.byteLength(value) + 2
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
