import type { H3Event } from 'h3'
import type { ResolvedShop } from './config'

/** Stored meta: created, seen (last refresh), expires, absolute end, user agent, label. */
export interface StoredMeta { c: number, s: number, e: number, a?: number, ua: string, l?: string }

/**
 * When a session saved now ends: `maxAge` from now, but never after its absolute end.
 * @param shop the shop's settings
 * @param createdAt when the session was created
 * @param at now
 * @returns the end, and the absolute end if one is configured
 */
export function sessionExpiry(shop: ResolvedShop, createdAt: number, at: number): { expiresAt: number, absolute?: number } {
  let expiresAt = at + shop.maxAgeMs
  const absolute = shop.absoluteMaxAgeMs ? createdAt + shop.absoluteMaxAgeMs : undefined
  if (absolute && absolute < expiresAt) expiresAt = absolute
  return { expiresAt, absolute }
}

/**
 * Parses a record's meta field; anything malformed is treated as no session. The session remembers the last meta it
 * parsed for each verified cookie, so the meta returned is shared between requests and frozen; change a copy.
 * @param raw the field
 * @returns the meta, or undefined
 */
export function parseMeta(raw: string | undefined): StoredMeta | undefined {
  if (!raw) return undefined
  try {
    const meta = JSON.parse(raw) as StoredMeta
    return typeof meta?.e === 'number' && typeof meta.c === 'number' && typeof meta.s === 'number' ? Object.freeze(meta) : undefined
  }
  catch {
    return undefined
  }
}

/**
 * The user agent to record with a new session, cut to 256 characters.
 * @param event the request
 * @returns the user agent
 */
export function userAgent(event: H3Event): string {
  const ua = event.node.req.headers['user-agent']
  return typeof ua === 'string' ? ua.slice(0, 256) : ''
}
