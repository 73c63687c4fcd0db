import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { ResolvedShop } from './config'

/** Cookie values longer than this are refused before any HMAC work. */
export const MAX_COOKIE_VALUE_LENGTH = 512
const SIGNATURE_LENGTH = 43
const keyCache = new Map<string, KeyObject>()

/**
 * The HMAC key object of a secret, made once per secret: `createHmac` with a string key imports it again on every
 * call.
 * @param secret a signing secret
 * @returns its key object
 */
export function hmacKey(secret: string): KeyObject {
  let key = keyCache.get(secret)
  if (!key) {
    key = createSecretKey(Buffer.from(secret))
    // Secrets are few (rotation keeps two or three); the bound only guards against misuse.
    if (keyCache.size >= 64) {
      keyCache.clear()
    }
    keyCache.set(secret, key)
  }
  return key
}

function sign(id: string, secret: string): string {
  return createHmac('sha256', hmacKey(secret)).update(id).digest('base64url')
}

/**
 * Signs a session id in express-session's layout: `s:<id>.<HMAC-SHA256 base64url>`.
 * @param id the session id
 * @param secret the signing secret (the newest one)
 * @returns the cookie value
 */
export function signSessionId(id: string, secret: string): string {
  return `s:${id}.${sign(id, secret)}`
}

/**
 * Compares two strings in time that depends only on their length, never on where they differ.
 * @param a first value
 * @param b second value
 * @returns true when both are equal
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  if (left.length !== right.length) {
    // Compare anyway so that a length mismatch costs the same as a content mismatch.
    timingSafeEqual(left, left)
    return false
  }
  return timingSafeEqual(left, right)
}

/**
 * Verifies a signed cookie value against every secret; the order of secrets does not matter. Nothing is cached here:
 * the engine remembers the cookies that verified, per shop, together with their store keys.
 * @param value the raw cookie value
 * @param secrets all secrets still accepted
 * @returns the session id, or null for an unsigned, malformed, tampered or foreign value
 */
export function unsignSessionId(value: string, secrets: readonly string[]): string | null {
  if (value.length > MAX_COOKIE_VALUE_LENGTH || !value.startsWith('s:')) {
    return null
  }
  const dot = value.lastIndexOf('.')
  if (dot < 3 || value.length - dot - 1 !== SIGNATURE_LENGTH) {
    return null
  }
  const id = value.slice(2, dot)
  const signature = value.slice(dot + 1)
  let valid = false
  for (const secret of secrets) {
    // No early exit: every secret is tried so the timing does not reveal which one matched.
    const expected = sign(id, secret)
    valid = constantTimeEqual(expected, signature) || valid
  }
  return valid ? id : null
}

/**
 * Reads every value sent for one cookie name. Browsers may send a name twice (different paths or domains), and
 * an attacker may plant a second one, so the caller decides what to do with more than one.
 * @param header the raw `Cookie` request header
 * @param name the cookie name
 * @returns the decoded values, in header order
 */
export function readCookieValues(header: string | undefined, name: string): string[] {
  return collectCookieValues(header, name, true)
}

function collectCookieValues(header: string | undefined, name: string, decode: boolean): string[] {
  if (!header) {
    return []
  }
  const values: string[] = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1 || part.slice(0, eq).trim() !== name) {
      continue
    }
    const value = unquote(part.slice(eq + 1))
    values.push(decode ? decodeCookieValue(value) : value)
  }
  return values
}

/** What {@link readRawCookieValue} answers when the header sends the name more than once. */
export const SEVERAL_VALUES = Symbol('several cookie values')

/**
 * Reads the one value sent for a cookie name as sent (trimmed and unquoted, not yet percent-decoded: a cache keyed by
 * it spares a repeat visitor the decoding; decode with {@link decodeCookieValue}). The header is split only when the
 * name occurs more than once in it; the answer is the same as {@link readCookieValues} gives, before decoding.
 * @param header the raw `Cookie` request header
 * @param name the cookie name (no `=`, `;` or whitespace in it)
 * @returns the raw value; undefined when the name is not sent; {@link SEVERAL_VALUES} when it is sent twice
 */
export function readRawCookieValue(header: string | undefined, name: string): string | undefined | typeof SEVERAL_VALUES {
  if (!header) {
    return undefined
  }
  const at = header.indexOf(name)
  if (at === -1) {
    return undefined
  }
  const after = at + name.length
  const before = at === 0 ? ';' : header[at - 1] === ' ' && at >= 2 ? header[at - 2] : header[at - 1]
  if (before !== ';' || header.charCodeAt(after) !== EQUALS || header.includes(name, after)) {
    const values = collectCookieValues(header, name, false)
    return values.length > 1 ? SEVERAL_VALUES : values[0]
  }
  const end = header.indexOf(';', after)
  return unquote(end === -1 ? header.slice(after + 1) : header.slice(after + 1, end))
}

const EQUALS = 61

/** A cookie value as sent, trimmed and unquoted. */
function unquote(raw: string): string {
  const value = raw.trim()
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
}

/**
 * Percent-decodes a cookie value; a malformed sequence is kept as it is.
 * @param value the value as sent
 * @returns the decoded value
 */
export function decodeCookieValue(value: string): string {
  if (!value.includes('%')) {
    return value
  }
  try {
    return decodeURIComponent(value)
  }
  catch {
    return value
  }
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
