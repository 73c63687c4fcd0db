import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeader } from 'node:http'
import type { H3Event } from 'h3'
import { getQuery } from 'h3'

// Every place the module reaches past h3's public API, in one file: the Node request and response behind an event
// (`event.node`) and h3's body cache (`_requestBody`). Each replaces a public helper on the request path that
// allocates or awaits where the engine needs neither (see the bench); a move to h3 v2 or Nitro 3 starts here.
// Hookable's `_hooks` is read in internal/hookable.ts.

/**
 * A request header as Node parsed it: no copy, no lower-casing, no joining of repeated values.
 * @param event the request
 * @param name the header's name, lower case
 * @returns its value, as Node holds it
 */
export function nodeRequestHeader<K extends keyof IncomingHttpHeaders>(event: H3Event, name: K): IncomingHttpHeaders[K] {
  return event.node.req.headers[name]
}

/**
 * The request headers as Node parsed them, for reading several at once.
 * @param event the request
 * @returns the headers object (never copied)
 */
export function nodeRequestHeaders(event: H3Event): IncomingHttpHeaders {
  return event.node.req.headers
}

const ERROR_RENDER = /^\/__nuxt_error(?:\?|$)/

/**
 * The page a request renders the error of, when it is Nuxt's own render of an error page. Nuxt's error handler renders
 * the page of a 404 (no page serves the path) or of a page that threw in a second request to itself,
 * `/__nuxt_error?url=<the page's path>&statusCode=…`, sent in-process with the page request's headers (its cookies
 * included); only that in-process request counts (`__unenv__`: Nuxt's renderer answers `/__nuxt_error` from outside
 * with a 404).
 * @param event the request
 * @returns the path (and query) of the page whose error is rendered, or undefined for any other request
 */
export function errorRenderPagePath(event: H3Event): string | undefined {
  if (!ERROR_RENDER.test(event.path) || !('__unenv__' in event.node.req)) return undefined
  const url = getQuery(event).url
  // A path of this site only: never a scheme-relative `//host` or a backslash form.
  return typeof url === 'string' && /^\/(?![/\\])/.test(url) ? url : undefined
}

/**
 * Sets a request header for the handlers after this one (the devtools panel picks the shop that way).
 * @param event the request
 * @param name the header's name, lower case
 * @param value its value
 */
export function setNodeRequestHeader(event: H3Event, name: string, value: string): void {
  event.node.req.headers[name] = value
}

/**
 * The Node request behind an event, for reading its body as it arrives.
 * @param event the request
 * @returns the Node request
 */
export function nodeRequest(event: H3Event): IncomingMessage {
  return event.node.req
}

/**
 * A response header as set so far.
 * @param event the request
 * @param name the header's name
 * @returns its value
 */
export function nodeResponseHeader(event: H3Event, name: string): OutgoingHttpHeader | number | undefined {
  return event.node.res.getHeader(name)
}

/**
 * Sets a response header in place (h3's setResponseHeader goes through its headers object).
 * @param event the request
 * @param name the header's name
 * @param value its value
 */
export function setNodeResponseHeader(event: H3Event, name: string, value: string | string[]): void {
  event.node.res.setHeader(name, value)
}

/**
 * Removes a response header (h3 v1 has no public helper for it).
 * @param event the request
 * @param name the header's name
 */
export function removeNodeResponseHeader(event: H3Event, name: string): void {
  event.node.res.removeHeader(name)
}

/**
 * Whether the response head has gone out.
 * @param event the request
 * @returns true once sent
 */
export function responseHeadSent(event: H3Event): boolean {
  return event.node.res.headersSent
}

/**
 * Whether h3 already holds the request body (a reader took it before).
 * @param event the request
 * @returns true when cached
 */
export function hasCachedBody(event: H3Event): boolean {
  return event._requestBody !== undefined
}

/**
 * Leaves a body taken from Node's buffer where h3's body readers look first; they hand a Buffer found there back as
 * it is (its type names web bodies only).
 * @param event the request
 * @param body the whole body
 */
export function cacheBody(event: H3Event, body: Buffer): void {
  event._requestBody = body as unknown as BodyInit
}
