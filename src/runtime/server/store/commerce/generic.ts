import type { Storage } from 'unstorage'
import type { BasketLine, WishlistItem } from '../../../types/commerce'
import { readExpiring, writeExpiring } from '../expiring'
import { commerceRecordOf, markerGuestHash, ownerOf, readIdempotencyRecord } from '../keys'
import { createKeyedLock } from '../lock'
import { recordExpiresAt } from '../record'
import type { SessionFields } from '../session/types'
import type { BasketMergeCounts, BasketMergeOptions, CommerceGuard, CommerceStore, WishlistMergeOptions } from './types'
import { CommerceConflictError, CommerceKeyReusedError, CommerceLimitError } from './types'

interface StoredLine { v: number, q: number, t: number }
interface StoredItem { p: number, t: number }
interface StoredLock { token: string, until: number }
/** What a merge took in from one guest session, and until when that is kept (ms). */
interface StoredMarker<S> { e: number, s: S }
/**
 * A user's list with its merge markers by guest session hash, in one value, so that one write stores a merge and
 * its marker together. A list without markers is stored as the bare array, as before markers moved in.
 */
interface StoredList<T, S> { l: T[], m: Record<string, StoredMarker<S>> }
/** A basket's marker keeps each variant's guest quantity merged so far, by variant id. */
type BasketList = StoredList<StoredLine, Record<string, number>>
/** A wishlist's marker keeps the product ids merged so far. */
type WishlistList = StoredList<StoredItem, number[]>

/** Markers a user's list keeps at most: those that end first go, as on Redis. */
const MAX_MARKERS = 32

/**
 * The commerce store on any unstorage driver: each write runs under a lock per owner (the key's `{…}` part), so it is
 * atomic within one process.
 * @param storage unstorage scoped to the session mount
 * @returns the store
 */
export function createGenericCommerceStore(storage: Storage): CommerceStore {
  const withLock = createKeyedLock()
  const owner = ownerOf
  const ttl = (ms: number) => ({ ttl: Math.max(1, Math.ceil(ms / 1000)) })
  // Every value carries its end, so that the sweep removes it on drivers without native expiry.
  // A read needs the list only: the markers are sorted out by open(), for the writes and merges.
  const listOf = async <L extends StoredList<unknown, unknown>>(key: string): Promise<L['l']> => {
    const stored = await readExpiring<L['l'] | L>(storage, key)
    return !stored ? [] : Array.isArray(stored) ? stored : stored.l ?? []
  }
  const lines = (key: string) => listOf<BasketList>(key)
  const items = (key: string) => listOf<WishlistList>(key)

  // Whether a write's Idempotency-Key record exists, so that the write is skipped; one of a call with other params
  // refuses it, as the Redis script does.
  const recordedOnce = async (once: { key: string, value: string }): Promise<boolean> => {
    const stored = await readExpiring<unknown>(storage, once.key)
    if (stored === null) return false
    const { fingerprint } = readIdempotencyRecord(String(stored))
    if (fingerprint !== undefined && fingerprint !== readIdempotencyRecord(once.value).fingerprint) throw new CommerceKeyReusedError('the Idempotency-Key was used for a call with other params')
    return true
  }

  // A list and its live markers, from either layout.
  async function open<L extends StoredList<unknown, unknown>>(key: string): Promise<L> {
    const stored = await readExpiring<L['l'] | L>(storage, key)
    if (!stored) return { l: [], m: {} } as unknown as L
    if (Array.isArray(stored)) return { l: stored, m: {} } as unknown as L
    const now = Date.now()
    return { l: stored.l ?? [], m: Object.fromEntries(Object.entries(stored.m ?? {}).filter(([, marker]) => marker.e > now)) } as L
  }

  // One setItem for the list and its markers. It lives ttl ms (commerce.dataTtl) while it holds anything: a marker
  // guards merged lines only while they exist, so it never keeps them past the data lifetime. An empty list lives as
  // long as its markers; with neither it goes.
  async function save(key: string, list: StoredList<unknown, unknown>, ttlMs: number) {
    const ends = Object.values(list.m).map(marker => marker.e)
    if (ends.length === 0) {
      await (list.l.length > 0 ? writeExpiring(storage, key, list.l, ttlMs) : storage.removeItem(key))
      return
    }
    const now = Date.now()
    const end = list.l.length > 0 ? now + ttlMs : Math.max(...ends)
    await writeExpiring(storage, key, list, end - now)
  }

  function mark<S>(list: StoredList<unknown, S>, hash: string, taken: S, ttlMs: number) {
    list.m[hash] = { e: Date.now() + ttlMs, s: taken }
    const byEnd = Object.entries(list.m).sort(([, a], [, b]) => a.e - b.e)
    for (const [old] of byEnd.slice(0, Math.max(0, byEnd.length - MAX_MARKERS))) delete list.m[old]
  }

  async function checkGuard(guard?: CommerceGuard) {
    if (!guard) return
    const session = await storage.getItem<SessionFields>(guard.session)
    const expiresAt = session ? recordExpiresAt(session) : 0
    if (!session || (expiresAt && expiresAt <= Date.now())) {
      throw new CommerceConflictError('the session ended; reload and try again')
    }
    const lock = await storage.getItem<StoredLock>(guard.lock)
    if (lock && lock.until > Date.now()) {
      throw new CommerceConflictError('this guest basket is being merged into a login; try again')
    }
  }

  async function claimLock(lock: string, token: string, ttlMs: number) {
    const held = await storage.getItem<StoredLock>(lock)
    if (held && held.until > Date.now()) return false
    await storage.setItem(lock, { token, until: Date.now() + ttlMs }, ttl(ttlMs))
    return true
  }

  // The merges, run under the user's lock by the caller. The marker of a guest session keeps what was taken in from
  // it, so a later merge of the same guest takes in only what is new (a line's quantity above what was taken, an
  // item not taken yet), and a guest that has nothing new merges nothing (null). A marker key of the earlier layout
  // means the list was merged whole.
  async function mergeBasket(key: string, marker: string, guestLines: BasketLine[], options: BasketMergeOptions): Promise<BasketMergeCounts | null> {
    if (await readExpiring(storage, marker) !== null) return null
    const list = await open<BasketList>(key)
    const hash = markerGuestHash(marker)
    const earlier = list.m[hash]
    const taken = { ...earlier?.s }
    const stored = list.l
    const counts = { linesAdded: 0, linesCombined: 0, linesCapped: 0, linesDropped: 0, unitsAdded: 0 }
    let fresh = !earlier
    for (const guest of guestLines) {
      const already = taken[guest.variantId] ?? 0
      taken[guest.variantId] = Math.max(already, guest.quantity)
      const quantity = guest.quantity - already
      if (quantity <= 0) continue
      fresh = true
      const mine = stored.find(l => l.v === guest.variantId)
      let wanted: number
      if (!mine) {
        if (stored.length >= options.maxLines) {
          counts.linesDropped++
          continue
        }
        wanted = quantity
        counts.linesAdded++
      }
      else {
        counts.linesCombined++
        wanted = options.policy === 'sum' ? mine.q + quantity : options.policy === 'max' ? Math.max(mine.q, guest.quantity) : mine.q
      }
      if (wanted > options.cap) {
        wanted = options.cap
        counts.linesCapped++
      }
      counts.unitsAdded += wanted - (mine?.q ?? 0)
      if (mine) mine.q = wanted
      else stored.push({ v: guest.variantId, q: wanted, t: Date.now() })
    }
    if (!fresh) return null
    mark(list, hash, taken, options.markerTtlMs)
    await save(key, list, options.ttlMs)
    return counts
  }

  async function mergeWishlist(key: string, marker: string, guestItems: WishlistItem[], options: WishlistMergeOptions): Promise<number | null> {
    if (await readExpiring(storage, marker) !== null) return null
    const list = await open<WishlistList>(key)
    const hash = markerGuestHash(marker)
    const earlier = list.m[hash]
    const taken = new Set(earlier?.s)
    const stored = list.l
    let fresh = !earlier
    let added = 0
    for (const item of guestItems) {
      if (taken.has(item.productId)) continue
      taken.add(item.productId)
      fresh = true
      if (!stored.some(i => i.p === item.productId) && stored.length < options.maxItems) {
        stored.push({ p: item.productId, t: Date.now() })
        added++
      }
    }
    if (!fresh) return null
    mark(list, hash, [...taken], options.markerTtlMs)
    await save(key, list, options.ttlMs)
    return added
  }

  return {
    readBasket: async key => toBasket(await lines(key)),
    writeBasket: (key, change, options) => withLock(owner(key), async () => {
      await checkGuard(options.guard)
      if (options.once && await recordedOnce(options.once)) return toBasket(await lines(key))
      const list = await open<BasketList>(key)
      const stored = list.l
      const line = stored.find(l => l.v === change.variantId)
      let wanted = change.mode === 'add' ? (line?.q ?? 0) + change.quantity : change.quantity
      wanted = Math.min(wanted, options.cap)
      if (wanted <= 0) {
        list.l = stored.filter(l => l.v !== change.variantId)
        await save(key, list, options.ttlMs)
        if (options.once) await writeExpiring(storage, options.once.key, options.once.value, options.once.ttlMs)
        return toBasket(list.l)
      }
      if (line) {
        line.q = wanted
      }
      else {
        if (stored.length >= options.maxLines) throw new CommerceLimitError('the basket is full')
        stored.push({ v: change.variantId, q: wanted, t: Date.now() })
      }
      await save(key, list, options.ttlMs)
      if (options.once) await writeExpiring(storage, options.once.key, options.once.value, options.once.ttlMs)
      return toBasket(stored)
    }),
    readWishlist: async key => toWishlist(await items(key)),
    writeWishlist: (key, change, options) => withLock(owner(key), async () => {
      await checkGuard(options.guard)
      if (options.once && await recordedOnce(options.once)) return toWishlist(await items(key))
      const list = await open<WishlistList>(key)
      if (change.mode === 'remove') {
        list.l = list.l.filter(i => i.p !== change.productId)
      }
      else if (!list.l.some(i => i.p === change.productId)) {
        if (list.l.length >= options.maxItems) throw new CommerceLimitError('the wishlist is full')
        list.l.push({ p: change.productId, t: Date.now() })
      }
      const stored = list.l
      await save(key, list, options.ttlMs)
      if (options.once) await writeExpiring(storage, options.once.key, options.once.value, options.once.ttlMs)
      return toWishlist(stored)
    }),
    mergeBasket: (key, marker, guestLines, options) => withLock(owner(key), () => mergeBasket(key, marker, guestLines, options)),
    mergeWishlist: (key, marker, guestItems, options) => withLock(owner(key), () => mergeWishlist(key, marker, guestItems, options)),
    // The guest's keys share one owner, and so do the user's: each step runs under that owner's lock.
    claimGuest: (lock, token, ttlMs, keys) => withLock(owner(lock), async () => {
      if (!await claimLock(lock, token, ttlMs)) return null
      return { basket: toBasket(await lines(keys.basket)), wishlist: toWishlist(await items(keys.wishlist)) }
    }),
    mergeGuest: (keys, guest, options) => withLock(owner(keys.basket), async () => ({
      basket: await mergeBasket(keys.basket, keys.basketMarker, guest.basket, options.basket),
      wishlist: await mergeWishlist(keys.wishlist, keys.wishlistMarker, guest.wishlist, options.wishlist),
    })),
    claim: (lock, token, ttlMs) => withLock(owner(lock), () => claimLock(lock, token, ttlMs)),
    release: (lock, token) => withLock(owner(lock), async () => {
      const held = await storage.getItem<StoredLock>(lock)
      if (held?.token === token) await storage.removeItem(lock)
    }),
    // A user's list keeps its merge markers when it is emptied, as on Redis; a guest's has none.
    remove: async (keys) => {
      await Promise.all(keys.map(key => /:[bw]$/.test(key) && !commerceRecordOf(key).guest
        ? withLock(owner(key), async () => save(key, { ...await open(key), l: [] }, 0))
        : storage.removeItem(key)))
    },
  }
}

function toBasket(stored: StoredLine[]): BasketLine[] {
  return [...stored].sort((a, b) => a.t - b.t).map(l => ({ variantId: l.v, quantity: l.q }))
}

function toWishlist(stored: StoredItem[]): WishlistItem[] {
  return stored.map(i => ({ productId: i.p }))
}
