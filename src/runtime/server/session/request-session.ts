import type { H3Event } from 'h3'
import type { StorefrontSession, StorefrontSessionKey, StorefrontSessionValues } from '../../types/session'
import type { EngineSession } from './engine-session'
import type { ResolvedShop } from './config'
import { cleanSessionLabel, withLabel } from './label'
import { describeValue, SessionInputError } from './errors'
import type { SessionIdInfo } from './id'
import type { SessionKeys } from '../store/keys'
import type { StoredMeta } from './meta'
import { META_FIELD as META } from '../store/record'
import type { SessionRecord, SessionStore } from '../store/session'
import type { Changes, PendingRemoval, SessionHooks, SessionState } from './state'
import { DATA, FLASH, checkKey, dataField, serialise } from './fields'
import { mutable, readField, writeField } from './changes'
import { bindToUser, destroy, ensureId, regenerate } from './reissue'
import { commit, persist } from './commit'

/**
 * A request's session. Reads come from the record as the store returned it (never changed: a store may hand out a
 * shared object); the first write copies it into {@link Changes}. The work is done by functions over its
 * {@link SessionState}: changes.ts (fields), reissue.ts (the id), commit.ts and save.ts (saving); load.ts opens it.
 *
 * Its state lives in plain properties, every one set in the constructor: Nitro compiles server code for ES2019, which
 * turns `#private` fields into WeakMap lookups and class field initialisers into defineProperty calls, both far too
 * slow for an object made on every request. `toJSON` and the inspect hook keep the shop's settings (its secrets
 * among them) out of serialised or logged sessions.
 */
export class RequestSession implements EngineSession, SessionState {
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
  declare pendingRemovals: PendingRemoval[] | undefined
  declare alongside: (() => Promise<void>)[] | undefined
  declare cookieAction: 'set' | 'clear' | undefined
  declare userRecord: SessionRecord | undefined
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

  get id() {
    return ensureId(this).id
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
    mutable(this).dirty.add(META)
  }

  get<K extends StorefrontSessionKey>(key: K): StorefrontSessionValues[K] | undefined
  get<K extends StorefrontSessionKey>(key: K, fallback: StorefrontSessionValues[K]): StorefrontSessionValues[K]
  get(key: string, fallback?: unknown): unknown {
    const raw = readField(this, dataField(key))
    return raw === undefined ? fallback : JSON.parse(raw)
  }

  put(key: string, value: unknown) {
    writeField(this, dataField(key), serialise(value))
  }

  forget(key: string) {
    writeField(this, dataField(key), undefined)
  }

  flush() {
    for (const field of [...mutable(this).fields.keys()]) {
      if (field.startsWith(DATA)) writeField(this, field, undefined)
    }
  }

  has(key: string) {
    return readField(this, dataField(key)) !== undefined
  }

  all() {
    const entries: [string, unknown][] = []
    for (const [field, value] of mutable(this).fields) {
      if (field.startsWith(DATA)) entries.push([field.slice(DATA.length), JSON.parse(value)])
    }
    // fromEntries defines own properties: a key named __proto__ stays a key and never becomes the prototype.
    return Object.fromEntries(entries) as ReturnType<StorefrontSession['all']>
  }

  flash(key: string, value: unknown) {
    writeField(this, FLASH + checkKey(key), serialise(value))
  }

  getFlash<T>(key: string, fallback?: T) {
    const raw = this.incomingFlash?.get(checkKey(key))
    return raw === undefined ? fallback : JSON.parse(raw) as T
  }

  regenerate() {
    regenerate(this)
  }

  destroy() {
    destroy(this)
  }

  commit(): Promise<void> {
    return commit(this)
  }

  persist() {
    return persist(this)
  }

  getField(field: string) {
    return readField(this, field)
  }

  setField(field: string, value: string | undefined) {
    // A line feed would split the field in two in the Redis store, which keeps a record as lines.
    if (field.length === 0 || field.includes('\n') || value?.includes('\n')) {
      throw new SessionInputError(`session field ${describeValue(field)} or its value holds a line feed, or the field is empty`)
    }
    writeField(this, field, value)
  }

  getUserRecord() {
    return this.userRecord
  }

  setUserRecord(record: SessionRecord | undefined) {
    this.userRecord = record
  }

  bindToUser(userId: string) {
    bindToUser(this, userId)
  }

  alongNextCommit(work: () => Promise<void>) {
    (this.alongside ??= []).push(work)
  }
}
