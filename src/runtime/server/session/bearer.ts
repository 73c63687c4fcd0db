import type { H3Event } from 'h3'
import type { ResolvedShop } from './config'
import { StorefrontHttpError } from './errors'
import { nodeRequestHeader, nodeRequestHeaders } from '../internal/h3'

/** The request header with which a client asks for its session as a bearer token (value `bearer`). */
export const TRANSPORT_HEADER = 'x-storefront-transport'
/**
 * The response header that carries a bearer client's session token whenever the server issues one (the first write
 * of a guest, a login, a regenerate, a refresh); empty when the session ended and the client must drop its token.
 */
export const TOKEN_HEADER = 'x-storefront-session-token'

// The signed value as the server issues it: `s:<id>.<signature>`. Anything else is refused before any HMAC work.
const TOKEN = /^s:[\w:-]{1,200}\.[\w-]{43}$/

/** A cookie and a bearer token that do not name the same session. Answered with a 400. */
export class SessionTransportError extends StorefrontHttpError {
  override name = 'SessionTransportError'
  constructor() {
    super(400, 'Bad Request', 'the request carries a session cookie and a bearer token for different sessions: send one of them')
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
 * @param header the `Authorization` request header
 * @returns the token as sent, or undefined for no header or another scheme
 */
export function readBearerToken(header: string | undefined): string | undefined {
  if (!header || header.length < 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined
  return header.slice(7).trim()
}

/**
 * Whether a request is authenticated by a bearer token rather than by the cookie: the shop accepts bearer sessions
 * and the request sends `Authorization: Bearer`. Such a request never falls back to the cookie.
 * @param event the request
 * @param shop its shop
 * @returns true for a bearer request
 */
export function isBearerRequest(event: H3Event, shop: ResolvedShop): boolean {
  return shop.bearer && readBearerToken(nodeRequestHeader(event, 'authorization')) !== undefined
}

/** What a request of a bearer-accepting shop presents, and how its session goes back. */
export interface TransportRead<P> {
  /** undefined: nothing presented; null: a value that did not verify; else the verified session. */
  presented: P | null | undefined
  /** The response carries the session in {@link TOKEN_HEADER} and never sets or clears the cookie. */
  bearer: boolean
}

/**
 * Reads the session credential of a request to a shop that accepts bearer sessions. A bearer token wins over the
 * cookie; a valid cookie sent with it must name the same session, or the request is a 400. `X-Storefront-Transport: bearer`
 * gets the session back as a token only for a request without the cookie.
 * @param event the request
 * @param shop the shop (`shop.bearer` is true)
 * @param readCookie reads the shop's cookie out of a `Cookie` header
 * @param readValue verifies one signed value
 * @returns the presented session and the response's transport
 * @throws SessionTransportError for a cookie and a token of different sessions
 */
export function readTransport<P extends { info: { id: string } }>(
  event: H3Event,
  shop: ResolvedShop,
  readCookie: (header: string | undefined) => P | null | undefined,
  readValue: (value: string) => P | null,
): TransportRead<P> {
  const headers = nodeRequestHeaders(event)
  const token = readBearerToken(headers.authorization)
  if (token === undefined) {
    const presented = shop.cookie ? readCookie(headers.cookie) : undefined
    // A request that sends the cookie is answered with the cookie: a script in the page must never be able to turn
    // the HttpOnly cookie into a token it can read.
    const asked = presented === undefined && String(headers[TRANSPORT_HEADER]).toLowerCase() === 'bearer'
    return { presented, bearer: asked || !shop.cookie }
  }
  const presented = TOKEN.test(token) ? readValue(token) : null
  if (shop.cookie) {
    const cookie = readCookie(headers.cookie)
    // A cookie that does not verify (tampered, truncated, of a retired secret) names no session, as it would alone:
    // the token decides.
    if (cookie && (!presented || cookie.info.id !== presented.info.id)) {
      throw new SessionTransportError()
    }
  }
  return { presented, bearer: true }
}
