import type { FixtureServer } from './server'

/** The answer of one RPC call. */
// Bodies are read field by field in tests, so they default to `any` there.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface RpcAnswer<T = any> {
  status: number
  body: T
  setCookie: string[]
}

/**
 * A shopper's cookies for one shop, sent to whichever instance a call goes to. Cookies the server sets replace the
 * jar's, and a cleared cookie empties it, as a browser would.
 */
export class CookieJar {
  cookie: string | undefined
  constructor(readonly shopId = '1001') {}

  get name() {
    return `$session-${this.shopId}`
  }

  /**
   * Calls an RPC method on a server with this jar's cookie.
   * @param server the instance
   * @param method the method
   * @param payload its params
   * @returns status, parsed body and the cookies set
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async rpc<T = any>(server: FixtureServer, method: string, payload?: unknown): Promise<RpcAnswer<T>> {
    const response = await server.fetch(`/api/rpc/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop-id': this.shopId, ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: JSON.stringify({ payload }),
    })
    const setCookie = response.headers.getSetCookie()
    this.take(setCookie)
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined, setCookie }
  }

  /** Applies Set-Cookie headers. */
  take(setCookie: string[]) {
    const mine = setCookie.find(header => header.startsWith(`${this.name}=`))
    if (!mine) return
    this.cookie = /max-age=0/i.test(mine) ? undefined : mine.split(';')[0]
  }

  /** A copy of this jar (another tab holding the same cookie). */
  clone(): CookieJar {
    const copy = new CookieJar(this.shopId)
    copy.cookie = this.cookie
    return copy
  }
}
