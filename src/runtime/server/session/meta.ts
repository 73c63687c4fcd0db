import type { H3Event } from 'h3'
import type { ResolvedShop } from './config'
import { nodeRequestHeader } from '../internal/h3'

export type { StoredMeta } from '../store/record'
export { parseMeta } from '../store/record'

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
 * The user agent to record with a new session, cut to 256 characters.
 * @param event the request
 * @returns the user agent
 */
export function userAgent(event: H3Event): string {
  const ua = nodeRequestHeader(event, 'user-agent')
  return typeof ua === 'string' ? ua.slice(0, 256) : ''
}
