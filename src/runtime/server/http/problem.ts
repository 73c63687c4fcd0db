import type { H3Event } from 'h3'
import { H3Error, send, setResponseHeader, setResponseStatus } from 'h3'
import { TOKEN_HEADER } from '../session/bearer'
import { recordUnavailable } from '../telemetry'
import { nodeRequestHeader, removeNodeResponseHeader } from '../internal/h3'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** An RFC 9457 problem details body. */
export interface ProblemDetails {
  type: string
  title: string
  status: number
  detail?: string
  [extension: string]: unknown
}

/**
 * Turns any error into a problem details body. Unexpected errors become a 500 whose detail says nothing about
 * the cause in production.
 * @param error what was thrown
 * @param production hide the message of unexpected errors
 * @returns the body
 */
export function toProblem(error: unknown, production: boolean): ProblemDetails {
  const h3 = error instanceof H3Error ? error : undefined
  const status = h3 && !h3.unhandled ? h3.statusCode : 500
  const expected = status < 500 || status === 503
  const detail = expected || !production ? (h3?.message || (error as Error)?.message) : undefined
  const problem: ProblemDetails = { type: 'about:blank', title: TITLES[status] ?? h3?.statusMessage ?? 'Error', status }
  if (detail) problem.detail = detail
  const data = h3?.data as Record<string, unknown> | undefined
  if (expected && data && typeof data === 'object' && !Array.isArray(data)) {
    for (const [key, value] of Object.entries(data)) {
      if (!(key in problem)) problem[key] = value
    }
  }
  return problem
}

/**
 * Sends a problem details response (`application/problem+json`).
 * @param event the request
 * @param problem the body
 * @returns once sent
 */
export function sendProblem(event: H3Event, problem: ProblemDetails): Promise<void> {
  setProblemHead(event, problem)
  return send(event, JSON.stringify(problem))
}

/**
 * Prepares a problem details response and returns its body, for hooks that replace a body instead of sending.
 * @param event the request
 * @param error what was thrown
 * @param production hide the message of unexpected errors
 * @returns the serialised body
 */
export function sendProblemBody(event: H3Event, error: unknown, production: boolean): string {
  const problem = toProblem(error, production)
  setProblemHead(event, problem)
  removeNodeResponseHeader(event, 'set-cookie')
  removeNodeResponseHeader(event, TOKEN_HEADER)
  return JSON.stringify(problem)
}

/** Seconds a client is asked to wait before it tries again after a 503 (a store outage) or a 429. */
export const RETRY_AFTER_SECONDS = 5

/**
 * Whether a request asks for a page (HTML) rather than an API answer.
 * @param event the request
 * @returns true for a GET or HEAD outside `/api/` that accepts HTML
 */
export function isPageRequest(event: H3Event): boolean {
  return (event.method === 'GET' || event.method === 'HEAD') && !event.path.startsWith('/api/')
    && String(nodeRequestHeader(event, 'accept') ?? 'text/html').includes('text/html')
}

/**
 * Answers a page whose session could not be loaded: 503, `Retry-After`, never stored by any cache.
 * @param event the request
 * @returns once sent
 */
export function sendUnavailablePage(event: H3Event): Promise<void> {
  recordUnavailable()
  setResponseStatus(event, 503, 'Service Unavailable')
  setResponseHeader(event, 'content-type', 'text/html; charset=utf-8')
  setResponseHeader(event, 'cache-control', 'no-store')
  setResponseHeader(event, 'retry-after', RETRY_AFTER_SECONDS)
  removeNodeResponseHeader(event, 'set-cookie')
  return send(event, '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title></head><body><h1>Temporarily unavailable</h1><p>This page could not be loaded just now. You are still signed in: please try again in a few seconds.</p></body></html>')
}

function setProblemHead(event: H3Event, problem: ProblemDetails) {
  if (problem.status === 503) recordUnavailable()
  setResponseStatus(event, problem.status, problem.title)
  setResponseHeader(event, 'content-type', 'application/problem+json')
  setResponseHeader(event, 'cache-control', 'no-store')
  if (problem.status === 503 || problem.status === 429) {
    setResponseHeader(event, 'retry-after', typeof problem.retryAfter === 'number' ? problem.retryAfter : RETRY_AFTER_SECONDS)
  }
  if (problem.status === 401) {
    // RFC 9110 §15.5.2: a 401 carries a challenge. The session cookie is the credential; the "Cookie" scheme names it.
    // A bearer client's credential is its token: RFC 6750's "Bearer" scheme.
    const storefront = event.context.storefront as { shop?: { cookieName?: string }, loaded?: { transport?: string } } | undefined
    const cookieName = storefront?.shop?.cookieName
    setResponseHeader(event, 'www-authenticate', storefront?.loaded?.transport === 'bearer'
      ? 'Bearer realm="storefront"'
      : `Cookie realm="storefront"${cookieName ? `, cookie-name="${cookieName}"` : ''}`)
  }
}
