/**
 * @typedef {object} HttpResponse
 * @property {number} status the HTTP status
 * @property {any} body the parsed JSON body, or the text
 * @property {string} text the raw body
 * @property {string[]} setCookies the `name=value` pairs of every Set-Cookie header
 */

/**
 * Sends one request with fetch and reads the whole body.
 * @param {string} url
 * @param {{ method?: string, headers?: Record<string, string>, body?: string }} [init]
 * @returns {Promise<HttpResponse>} the response
 */
export async function request(url, init = {}) {
  const response = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, redirect: 'manual' })
  const text = await response.text()
  let body = text
  if (/json/.test(response.headers.get('content-type') ?? '') && text) {
    try {
      body = JSON.parse(text)
    }
    catch {
      // Left as text; the caller compares it with what it expected.
    }
  }
  const setCookies = response.headers.getSetCookie().map(header => header.split(';')[0].trim())
  return { status: response.status, body, text, setCookies }
}

/**
 * A cookie jar for one client: keeps the cookies responses set, drops those they delete.
 */
export class Jar {
  /** @type {Map<string, string>} */
  cookies = new Map()

  /**
   * Takes the cookies of a response.
   * @param {HttpResponse} response
   */
  keep(response) {
    for (const pair of response.setCookies) {
      const name = pair.slice(0, pair.indexOf('='))
      if (pair.length === name.length + 1) this.cookies.delete(name)
      else this.cookies.set(name, pair)
    }
  }

  /** @returns {string} the `cookie` request header */
  header() {
    return [...this.cookies.values()].join('; ')
  }
}

/**
 * A client of the playground's RPC endpoint with a cookie jar of its own.
 * @param {string} baseUrl the server
 * @returns {{ jar: Jar, rpc: (name: string, payload?: unknown) => Promise<HttpResponse>, get: (path: string) => Promise<HttpResponse> }} the client
 */
export function createShopper(baseUrl) {
  const jar = new Jar()
  const headers = () => (jar.cookies.size > 0 ? { cookie: jar.header() } : {})
  return {
    jar,
    async rpc(name, payload) {
      const response = await request(`${baseUrl}/api/rpc/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers() },
        body: JSON.stringify(payload === undefined ? {} : { payload }),
      })
      jar.keep(response)
      return response
    },
    async get(path) {
      const response = await request(`${baseUrl}${path}`, { headers: headers() })
      jar.keep(response)
      return response
    },
  }
}
