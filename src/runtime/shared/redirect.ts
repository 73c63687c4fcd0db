// Where a redirect that a request names (`?redirect=`, a form's `redirect` field) may go: the one rule for the form
// route, the guest middleware and the app's login page. Nothing here reads Nuxt, h3 or Node.

// Any origin will do: a path is resolved against it, and must stay on it.
const BASE = 'http://local.invalid'
const MAX_LENGTH = 2048
// Browsers drop tabs and newlines from a URL before they read it (`/\t/evil.example` is `//evil.example`), and Node
// refuses a header with a control character: a redirect holds neither, nor any other white space.
const UNSAFE = /[\s\p{Cc}]/u

/**
 * The path of this site that a client-supplied redirect names, in its normalised, percent-encoded form; undefined for
 * anything a browser could take to another site (`//evil.example`, `/\evil.example`, `/\t/evil.example`,
 * `https://…`, `javascript:…`), for control characters and white space, and for a path longer than 2048 characters.
 * What it returns is always a valid `Location` header and a path that `navigateTo` keeps inside the app.
 * @param value what the request sent
 * @returns e.g. `/p/%E6%97%A5?x=1#top`, or undefined
 * @example
 * const to = localRedirectPath(route.query.redirect) ?? '/account'
 */
export function localRedirectPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || UNSAFE.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value, BASE)
  }
  catch {
    return undefined
  }
  // Dot segments can still make `//host` of a path that did not start with it (`/..//evil.example`).
  if (url.origin !== BASE || url.pathname.startsWith('//')) return undefined
  const path = `${url.pathname}${url.search}${url.hash}`
  return path.length <= MAX_LENGTH ? path : undefined
}
