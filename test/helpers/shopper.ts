import type { FixtureServer } from './server'

/** A parsed response body: tests check its shape with assertions, not with types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type ResponseBody = any

/** What one RPC call answered. */
export interface RpcResponse<T = ResponseBody> {
  status: number
  /** The parsed JSON body (also for problem+json errors); undefined for an empty body. */
  body: T
  headers: Headers
}

/** One response body a shopper saw, for scans over everything a test file received. */
export interface SeenBody {
  method: string
  status: number
  body: unknown
}

/** Options of one call. */
export interface RpcCallOptions {
  /** The shop, sent as `x-shop-id`; defaults to the shopper's shop. */
  shop?: string
  /** Extra request headers (they win over the defaults, `cookie` included). */
  headers?: Record<string, string>
}

/** One shopper (one browser) against a fixture server: a cookie jar with one session cookie per shop. */
export interface Shopper {
  /**
   * Calls `POST /api/rpc/<name>` with `{ "payload": payload }`, sends the jar's cookies, and keeps the
   * `$session-<shop>` cookies the response sets or deletes.
   */
  rpc: <T = ResponseBody>(name: string, payload?: unknown, options?: RpcCallOptions) => Promise<RpcResponse<T>>
  /**
   * Sends any request to `/api/rpc/<name>` with the jar's cookies (for bodies and content types `rpc` would not
   * send); keeps cookies and records the body like `rpc`.
   */
  send: (name: string, request?: { method?: string, shop?: string, headers?: Record<string, string>, body?: string }) => Promise<RpcResponse>
  /** The raw `name=value` pair of a shop's session cookie, or undefined. */
  cookie: (shop?: string) => string | undefined
  /** Replaces (or with undefined, removes) the raw `name=value` pair of a shop's session cookie. */
  setCookie: (shop: string, pair: string | undefined) => void
  /** The `cookie` request header the jar sends. */
  cookieHeader: () => string
  /** Every response body this shopper saw (shared when the same array is given to several shoppers). */
  seen: SeenBody[]
}

/** Options of {@link createShopper}. */
export interface ShopperOptions {
  /** The shop of calls that name none. @default '1001' */
  shop?: string
  /** Where to record every response body; give several shoppers the same array to scan a whole file. */
  seen?: SeenBody[]
  /** The User-Agent it sends. */
  userAgent?: string
}

/**
 * Creates a shopper.
 * @param server the fixture server
 * @param options default shop, body record, User-Agent
 * @returns the shopper
 * @example
 * const alice = createShopper(server)
 * await alice.rpc('login', { email: 'alice@example.com', password: 'alice-secret-1' })
 * expect((await alice.rpc('getUser')).body.user.id).toBe('u1')
 */
export function createShopper(server: FixtureServer, options: ShopperOptions = {}): Shopper {
  const defaultShop = options.shop ?? '1001'
  const seen = options.seen ?? []
  // Keyed by cookie name, so that cookies of every shop are sent, as a browser would on `Path=/`.
  const jar = new Map<string, string>()
  const cookieName = (shop: string) => `$session-${shop}`

  function keep(headers: Headers) {
    for (const header of headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';')
      const name = pair!.slice(0, pair!.indexOf('=')).trim()
      if (!name.startsWith('$session-')) continue
      const maxAge = attributes.map(a => a.trim()).find(a => a.toLowerCase().startsWith('max-age='))
      const expires = attributes.map(a => a.trim()).find(a => a.toLowerCase().startsWith('expires='))
      const deleted = (maxAge !== undefined && Number(maxAge.slice('max-age='.length)) <= 0)
        || (maxAge === undefined && expires !== undefined && Date.parse(expires.slice('expires='.length)) <= Date.now())
        || pair!.slice(name.length + 1).trim() === ''
      if (deleted) jar.delete(name)
      else jar.set(name, pair!.trim())
    }
  }

  const shopper: Shopper = {
    rpc(name, payload, call = {}) {
      return shopper.send(name, {
        shop: call.shop,
        headers: { 'content-type': 'application/json', ...call.headers },
        body: JSON.stringify(payload === undefined ? {} : { payload }),
      })
    },
    async send(name, request = {}) {
      const headers: Record<string, string> = { 'x-shop-id': request.shop ?? defaultShop }
      if (options.userAgent) headers['user-agent'] = options.userAgent
      const cookie = shopper.cookieHeader()
      if (cookie) headers.cookie = cookie
      const response = await server.fetch(`/api/rpc/${name}`, {
        method: request.method ?? 'POST',
        headers: { ...headers, ...request.headers },
        body: request.body,
      })
      keep(response.headers)
      const text = await response.text()
      const body = text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : (text || undefined)
      seen.push({ method: name, status: response.status, body })
      return { status: response.status, body, headers: response.headers }
    },
    cookie: (shop = defaultShop) => jar.get(cookieName(shop)),
    setCookie(shop, pair) {
      if (pair === undefined) jar.delete(cookieName(shop))
      else jar.set(cookieName(shop), pair)
    },
    cookieHeader: () => [...jar.values()].join('; '),
    seen,
  }
  return shopper
}
