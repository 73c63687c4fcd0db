import type { H3Event } from 'h3'
import type { StorefrontSession, StorefrontSessionKey, StorefrontSessionValues } from '../../types/session'
import type { ResolvedShop } from './config'
import { cleanSessionLabel, withLabel } from './label'
import { describeValue, SessionInputError, SessionLimitError, withStoreTimeout } from './errors'
import type { SessionIdInfo } from './id'
import { createGuestId, createUserSessionId } from './id'
import type { SessionKeys } from '../store/keys'
import { sessionKeys } from '../store/keys'
import type { StoredMeta } from './meta'
import type { Presented } from './presented'
import { hasFlashField, isFlashField, isLongRecord, lineValue, META_FIELD as META, recordPairs } from '../store/record'
import { resealIfStale, TOKENS_FIELD } from './sealed'
import type { SessionRecord, SessionStore } from '../store/session'
import { logger } from '../log'
import { saveSession } from './save'
import type { Changes, SessionHooks, SessionState } from './state'
import { DATA, FLASH, isDataField, checkKey, dataField, INDEXED_RECORD_LENGTH, indexRecord, storedBytes, serialise } from './fields'

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
export class RequestSession implements StorefrontSession, SessionState {
  declare readonly shopId: string
  declare event: H3Event
  declare shop: ResolvedShop
  declare store: SessionStore
  declare hooks: SessionHooks
  declare detached: boolean
  declare presentedCookie: boolean
  declare bearer: boolean
  declare info: SessionIdInfo | undefined
  declare keys: SessionKeys | undefined
  declare exists: boolean
  declare hasEnded: boolean
  declare forceCreate: boolean
  declare touch: boolean
  declare storedMeta: StoredMeta | undefined
  declare record: SessionRecord | undefined
  declare recordIndex: Map<string, string> | undefined
  declare changes: Changes | undefined
  declare incomingFlash: Map<string, string> | undefined
  declare pendingRemovals: { keys: SessionKeys, userId?: string }[] | undefined
  declare alongside: (() => Promise<void>)[] | undefined
  declare cookieAction: 'set' | 'clear' | undefined
  declare userRecord: SessionRecord | undefined
  /** A label set before the session has meta (a guest's first write, a login); stored with the meta it creates. */
  declare pendingLabel: string | undefined

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
  readField(field: string): string | undefined {
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

  mutable(): Changes {
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

  writeField(field: string, value: string | undefined) {
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

  ensureId(): SessionIdInfo {
    if (!this.info) {
      this.info = { kind: 'guest', id: createGuestId() }
      this.keys = sessionKeys(this.shop.id, this.info)
    }
    return this.info
  }

  scheduleRemoval() {
    const info = this.info
    ;(this.pendingRemovals ??= []).push({ keys: this.keys!, userId: info?.kind === 'user' ? info.userId : undefined })
  }

  reissue(next: SessionIdInfo) {
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

  resetToGuest() {
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

  guardStore<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return withStoreTimeout(operation, this.store.timesOutItself ? 0 : this.shop.storeTimeoutMs, work)
  }

  /** Tokens stored in clear or sealed under an older secret are sealed under the signing secret by any write. */
  resealTokens(changes: Changes) {
    const stored = changes.fields.get(TOKENS_FIELD)
    const resealed = stored === undefined ? undefined : resealIfStale(this.shop, stored)
    if (resealed !== undefined) this.writeField(TOKENS_FIELD, resealed)
  }

  async commitChanges() {
    const alongside = this.alongside?.splice(0) ?? []
    const [created] = await Promise.all([saveSession(this), ...alongside.map(work => work())])
    if (created) {
      await this.hooks.created?.(this, this.event)
    }
  }
}
