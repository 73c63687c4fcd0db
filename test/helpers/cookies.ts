/**
 * The `name=value` pair a response sets for a cookie, or undefined.
 * @param response a fetch response
 * @param name the cookie name
 * @returns the pair, ready for a `cookie` request header
 */
export function setCookiePair(response: Response, name: string): string | undefined {
  const header = setCookieHeader(response, name)
  return header?.split(';')[0]
}

/**
 * The whole `Set-Cookie` header a response sends for one cookie name.
 * @param response a fetch response
 * @param name the cookie name
 * @returns the header value, or undefined
 */
export function setCookieHeader(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find(header => header.startsWith(`${name}=`))
}

/**
 * The attributes of a `Set-Cookie` header, lower-cased names.
 * @param header the header value
 * @returns attribute name to value (`true` for flags)
 */
export function cookieAttributes(header: string): Record<string, string | true> {
  const attributes: Record<string, string | true> = {}
  for (const part of header.split(';').slice(1)) {
    const [name, ...value] = part.trim().split('=')
    attributes[name!.toLowerCase()] = value.length > 0 ? value.join('=') : true
  }
  return attributes
}

/** JSON request init for a POST. */
export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }
}
