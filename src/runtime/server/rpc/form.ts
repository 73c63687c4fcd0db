import { createError, defineEventHandler, sendRedirect, setResponseHeader } from 'h3'
import type { H3Event } from 'h3'
import { methods } from '#storefront/rpc-registry'
import { useStorefrontRuntime } from '../utils/runtime'
import { toProblem } from '../http/problem'
import { localRedirectPath } from '../../shared/redirect'
import type { RpcRegistry } from './dispatch'
import { findRpcMethod, runRpcMethod } from './dispatch'
import { requestHeader } from './headers'
import { readBodyBytes } from './payload'
import { shopForPath } from '../../shared/shop'
import { setNodeRequestHeader } from '../internal/h3'
import { requestOrigin, requestSite } from '../http/origin'

const registry = methods as RpcRegistry
const PREFIX = '/api/form/'
const FORM_TYPE = 'application/x-www-form-urlencoded'
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * `POST /api/form/<name>`: an HTML form without JavaScript calls an RPC method that allows it (`form: true`), then the
 * browser is sent back with a 303: to the form's `redirect` field (a path of this site), else to the page it came
 * from. A failure goes back to that page with `?error=<status>` added, and saves nothing. Only same-origin posts are
 * taken (Sec-Fetch-Site, else Origin), so a cross-site form never reaches a method.
 */
export default defineEventHandler(async (event) => {
  const name = event.path.slice(PREFIX.length).split('?')[0]!
  const definition = await findRpcMethod(registry, name)
  if (event.method !== 'POST') {
    throw createError({ status: 405, message: `${event.method} is not allowed for forms: use POST` })
  }
  if (!definition.form) {
    throw createError({ status: 404, message: `RPC method ${JSON.stringify(name.slice(0, 64))} takes no forms` })
  }
  checkSameOrigin(event)
  // Every answer from here on is a redirect that may set or clear the session cookie (a login, a first basket write,
  // a logout, a failure that ended the session): no shared cache may keep it.
  setResponseHeader(event, 'cache-control', 'private, no-store')
  const type = (requestHeader(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== FORM_TYPE) {
    throw createError({ status: 415, message: `content-type must be ${FORM_TYPE}` })
  }
  let back = refererPath(event) ?? '/'
  try {
    const body = await readBodyBytes(event, useStorefrontRuntime().rpcBodyLimit)
    const { params, redirect, invalid } = readForm(body?.toString('utf8') ?? '')
    const to = localRedirectPath(redirect)
    back = to ?? back
    if (invalid !== undefined) throw createError({ status: 400, message: `invalid ${invalid}: expected a number` })
    selectFormShop(event, to)
    await runRpcMethod(event, name, definition, definition.contextOnly ? undefined : params)
  }
  catch (error) {
    const { status } = toProblem(error, true)
    // An unexpected error is answered (and logged) as one; a store that is out goes back to the page like any refusal,
    // with `?error=503`, so that a shopper without JavaScript sees a page that says to try again.
    if (status >= 500 && status !== 503) throw error
    // A failed request saves nothing, although its answer is a redirect.
    if (event.context.storefront) event.context.storefront.discard = true
    // The page shows what went wrong from the status; the fields (a password among them) never go into the URL.
    return sendRedirect(event, withError(refererPath(event) ?? back, status), 303)
  }
  return sendRedirect(event, back, 303)
})

/**
 * A form sends no `x-shop-id`, and its path (`/api/form/…`) names no shop: under path shops, the form belongs to the
 * shop of the page it was posted from (its same-origin Referer), else of the page it goes back to, so that a form on
 * `/de` signs in to, and fills the basket of, the `/de` shop.
 * @param event the request
 * @param redirect the form's `redirect`, when it is a path of this site
 */
function selectFormShop(event: H3Event, redirect: string | undefined) {
  const { shops } = useStorefrontRuntime().engine
  if (shops.selector === 'domain' || requestHeader(event, 'x-shop-id') !== undefined) return
  const page = refererPath(event) ?? redirect
  const shop = page === undefined ? undefined : shopForPath(shops.byPath, page.split(/[?#]/, 1)[0]!)
  if (shop) setNodeRequestHeader(event, 'x-shop-id', shop.id)
}

/**
 * A page's path with `error=<status>` in its query, before any fragment (one there would never reach the page).
 * @param path a path of this site, with query and fragment if any
 * @param status the failure's status
 * @returns the path to send the browser to
 */
function withError(path: string, status: number): string {
  const hash = path.indexOf('#')
  const [base, fragment] = hash === -1 ? [path, ''] : [path.slice(0, hash), path.slice(hash)]
  const query = base.indexOf('?')
  const search = new URLSearchParams(query === -1 ? '' : base.slice(query + 1))
  search.set('error', String(status))
  return `${query === -1 ? base : base.slice(0, query)}?${search}${fragment}`
}

function checkSameOrigin(event: H3Event) {
  if (requestSite(event) !== 'same-origin') throw createError({ status: 403, message: 'forms are taken from this site only' })
}

const DECIMAL = /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*$/

// The params, the redirect, and the first `:number` field that is no number (the redirect is read whatever follows).
function readForm(text: string): { params: Record<string, unknown>, redirect?: string, invalid?: string } {
  const params: Record<string, unknown> = Object.create(null)
  let redirect: string | undefined
  let invalid: string | undefined
  for (const [field, value] of new URLSearchParams(text)) {
    if (field === 'redirect') {
      redirect = value
      continue
    }
    const [key, kind] = field.split(':') as [string, string | undefined]
    if (!key || UNSAFE_KEYS.has(key)) continue
    if (kind === 'number') {
      // A decimal as a number input sends it: never `0x65`, `1e2`, `Infinity`, 400 digits or an empty field.
      const number = DECIMAL.test(value) ? Number(value) : Number.NaN
      if (Number.isFinite(number)) params[key] = number
      else invalid ??= key
    }
    else {
      params[key] = value
    }
  }
  return { params: { ...params }, redirect, invalid }
}

function refererPath(event: H3Event): string | undefined {
  const referer = requestHeader(event, 'referer')
  if (!referer) return undefined
  try {
    const url = new URL(referer)
    if (url.origin !== requestOrigin(event)) return undefined
    // The error of an earlier failed post is not carried along.
    url.searchParams.delete('error')
    // A same-origin page at `//host/…` is still no path to send a browser to.
    return localRedirectPath(`${url.pathname}${url.search}`)
  }
  catch {
    return undefined
  }
}
