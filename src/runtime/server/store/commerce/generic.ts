import type { Storage } from 'unstorage'
import type { BasketLine, WishlistItem } from '../../../types/commerce'
import { readExpiring, writeExpiring } from '../expiring'
import { ownerOf } from '../keys'
import { createKeyedLock } from '../lock'
import { recordExpiresAt } from '../record'
import type { SessionFields } from '../session/types'
import type { BasketMergeCounts, BasketMergeOptions, CommerceGuard, CommerceStore, WishlistMergeOptions } from './types'
import { CommerceConflictError, CommerceLimitError } from './types'

interface StoredLine { v: number, q: number, t: number }
interface StoredItem { p: number, t: number }
interface StoredLock { token: string, until: number }

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
  const lines = async (key: string) => (await readExpiring<StoredLine[]>(storage, key)) ?? []
  const items = async (key: string) => (await readExpiring<StoredItem[]>(storage, key)) ?? []

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

  async function claimUnlocked(marker: string, markerTtlMs: number) {
    if (await readExpiring(storage, marker) !== null) return false
    await writeExpiring(storage, marker, 1, markerTtlMs)
    return true
  }

  async function claimLock(lock: string, token: string, ttlMs: number) {
    const held = await storage.getItem<StoredLock>(lock)
    if (held && held.until > Date.now()) return false
    await storage.setItem(lock, { token, until: Date.now() + ttlMs }, ttl(ttlMs))
    return true
  }

  // The merges, run under the user's lock by the caller.
  async function mergeBasket(key: string, marker: string, guestLines: BasketLine[], options: BasketMergeOptions): Promise<BasketMergeCounts | null> {
    if (!await claimUnlocked(marker, options.markerTtlMs)) return null
    const stored = await lines(key)
    const counts = { linesAdded: 0, linesCombined: 0, linesCapped: 0, linesDropped: 0, unitsAdded: 0 }
    for (const guest of guestLines) {
      const mine = stored.find(l => l.v === guest.variantId)
      let wanted: number
      if (!mine) {
        if (stored.length >= options.maxLines) {
          counts.linesDropped++
          continue
        }
        wanted = guest.quantity
        counts.linesAdded++
      }
      else {
        counts.linesCombined++
        wanted = options.policy === 'sum' ? mine.q + guest.quantity : options.policy === 'max' ? Math.max(mine.q, guest.quantity) : mine.q
      }
      if (wanted > options.cap) {
        wanted = options.cap
        counts.linesCapped++
      }
      counts.unitsAdded += wanted - (mine?.q ?? 0)
      if (mine) mine.q = wanted
      else stored.push({ v: guest.variantId, q: wanted, t: Date.now() })
    }
    if (stored.length > 0) await writeExpiring(storage, key, stored, options.ttlMs)
    return counts
  }

  async function mergeWishlist(key: string, marker: string, guestItems: WishlistItem[], options: WishlistMergeOptions): Promise<number | null> {
    if (!await claimUnlocked(marker, options.markerTtlMs)) return null
    const stored = await items(key)
    let added = 0
    for (const item of guestItems) {
      if (!stored.some(i => i.p === item.productId) && stored.length < options.maxItems) {
        stored.push({ p: item.productId, t: Date.now() })
        added++
      }
    }
    if (stored.length > 0) await writeExpiring(storage, key, stored, options.ttlMs)
    return added
  }

  return {
    readBasket: async key => toBasket(await lines(key)),
    writeBasket: (key, change, options) => withLock(owner(key), async () => {
      await checkGuard(options.guard)
      if (options.once && await readExpiring(storage, options.once.key) !== null) return toBasket(await lines(key))
      const stored = await lines(key)
      const line = stored.find(l => l.v === change.variantId)
      let wanted = change.mode === 'add' ? (line?.q ?? 0) + change.quantity : change.quantity
      wanted = Math.min(wanted, options.cap)
      if (wanted <= 0) {
        const next = stored.filter(l => l.v !== change.variantId)
        await (next.length > 0 ? writeExpiring(storage, key, next, options.ttlMs) : storage.removeItem(key))
        if (options.once) await writeExpiring(storage, options.once.key, 1, options.once.ttlMs)
        return toBasket(next)
      }
      if (line) {
        line.q = wanted
      }
      else {
        if (stored.length >= options.maxLines) throw new CommerceLimitError('the basket is full')
        stored.push({ v: change.variantId, q: wanted, t: Date.now() })
      }
      await writeExpiring(storage, key, stored, options.ttlMs)
      if (options.once) await writeExpiring(storage, options.once.key, 1, options.once.ttlMs)
      return toBasket(stored)
    }),
    readWishlist: async key => toWishlist(await items(key)),
    writeWishlist: (key, change, options) => withLock(owner(key), async () => {
      await checkGuard(options.guard)
      if (options.once && await readExpiring(storage, options.once.key) !== null) return toWishlist(await items(key))
      let stored = await items(key)
      if (change.mode === 'remove') {
        stored = stored.filter(i => i.p !== change.productId)
      }
      else if (!stored.some(i => i.p === change.productId)) {
        if (stored.length >= options.maxItems) throw new CommerceLimitError('the wishlist is full')
        stored.push({ p: change.productId, t: Date.now() })
      }
      await (stored.length > 0 ? writeExpiring(storage, key, stored, options.ttlMs) : storage.removeItem(key))
      if (options.once) await writeExpiring(storage, options.once.key, 1, options.once.ttlMs)
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
    remove: async (keys) => {
      await Promise.all(keys.map(key => storage.removeItem(key)))
    },
  }
}

function toBasket(stored: StoredLine[]): BasketLine[] {
  return [...stored].sort((a, b) => a.t - b.t).map(l => ({ variantId: l.v, quantity: l.q }))
}

function toWishlist(stored: StoredItem[]): WishlistItem[] {
  return stored.map(i => ({ productId: i.p }))
}
