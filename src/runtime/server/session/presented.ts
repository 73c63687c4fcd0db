import type { ResolvedShop } from './config'
import { createBoundedMap } from './bounded-map'
import { decodeCookieValue, readCookieValues, readRawCookieValue, SEVERAL_VALUES, unsignSessionId } from './cookie'
import type { SessionIdInfo } from './id'
import { parseSessionId } from './id'
import type { SessionKeys } from '../store/keys'
import { sessionKeys } from '../store/keys'
import type { StoredMeta } from './meta'
import { parseMeta } from './meta'
import { META_FIELD as META, META_START, metaEnd } from '../store/record'
import type { SessionRecord } from '../store/session'

// The credential a request presents (a cookie, or a bearer token), verified and resolved to its id and store keys
// before any store access, and remembered per shop.

/**
 * What a verified cookie value stands for. Shared between requests: the id and keys never change; the last meta field
 * seen with them is remembered, so that a repeat visitor's meta is neither hashed nor parsed again.
 */
export class Presented {
  declare readonly info: SessionIdInfo
  declare readonly keys: SessionKeys
  declare metaRaw: string | undefined
  declare meta: StoredMeta | undefined

  constructor(info: SessionIdInfo, keys: SessionKeys) {
    this.info = Object.freeze(info)
    this.keys = Object.freeze(keys)
    this.metaRaw = undefined
    this.meta = undefined
  }

  /** A record's meta field parsed; undefined when it has none or a malformed one. */
  metaOf(record: SessionRecord): StoredMeta | undefined {
    const known = this.metaRaw
    if (typeof record === 'string') {
      const end = metaEnd(record)
      if (end === -1) return undefined
      const raw = record.slice(META_START, end)
      // A repeat visitor's meta is compared, not parsed: a string comparison, far cheaper than startsWith at an
      // offset, which V8 walks a character at a time.
      if (raw === known) return this.meta
      return this.remember(raw)
    }
    for (let i = 0; i < record.length; i += 2) {
      if (record[i] === META) return record[i + 1] === known ? this.meta : this.remember(record[i + 1]!)
    }
    return undefined
  }

  private remember(raw: string): StoredMeta | undefined {
    this.meta = parseMeta(raw)
    this.metaRaw = raw
    return this.meta
  }
}

// Per shop, cookie values that verified and parsed: a repeat visitor skips the HMAC, the id check and the SHA-256.
// Only exact values that verified are kept, so the cache cannot be used to guess a signature, and it is bounded.
const presentedCache = new WeakMap<ResolvedShop, ReturnType<typeof createBoundedMap<string, Presented>>>()
const PRESENTED_CACHE_SIZE = 10_000

/**
 * The session a request's cookie points at, before any store access.
 * @param shop the shop
 * @param header the `Cookie` header
 * @returns undefined without a cookie of the shop; null when no single valid id was sent; else the id and its keys
 */
export function readPresented(shop: ResolvedShop, header: string | undefined): Presented | null | undefined {
  const raw = readRawCookieValue(header, shop.cookieName)
  if (raw === undefined) {
    return undefined
  }
  if (raw === SEVERAL_VALUES) {
    // More than one distinct valid id (a planted cookie next to the real one) is ambiguous: the request is a guest.
    const ids = new Set(readCookieValues(header, shop.cookieName).map(one => unsignSessionId(one, shop.secrets)).filter(id => id !== null))
    const info = ids.size === 1 ? parseSessionId([...ids][0]!) : null
    return info ? new Presented(info, sessionKeys(shop.id, info)) : null
  }
  return presentValue(shop, raw)
}

/**
 * A signed value (a cookie's value as sent, or a bearer token) verified and parsed, through the shop's cache.
 * @param shop the shop
 * @param raw the value as sent
 * @returns null when it does not verify or names no valid id; else the id and its keys
 */
export function presentValue(shop: ResolvedShop, raw: string): Presented | null {
  // Keyed by the value as sent: a repeat visitor skips the percent-decoding too.
  let cache = presentedCache.get(shop)
  const known = cache?.get(raw)
  if (known) {
    return known
  }
  const id = unsignSessionId(decodeCookieValue(raw), shop.secrets)
  const info = id === null ? null : parseSessionId(id)
  if (!info) {
    return null
  }
  const presented = new Presented(info, sessionKeys(shop.id, info))
  if (!cache) {
    cache = createBoundedMap<string, Presented>(PRESENTED_CACHE_SIZE)
    presentedCache.set(shop, cache)
  }
  cache.set(raw, presented)
  return presented
}
