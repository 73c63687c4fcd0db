import { consola } from 'consola'

/** The module's logger: Nuxt's consola, tagged `[storefront]`, with its levels. */
export const logger = consola.withTag('storefront')

const RATE_WINDOW_MS = 10_000
const reported = new Map<string, { at: number, suppressed: number }>()

/**
 * Logs an operational error at most once per 10 s per kind; the next line says how many were left out meanwhile.
 * @param kind what failed, e.g. `session refresh`: lines of one kind share the window
 * @param message the line
 * @param level consola level
 * @example
 * logRateLimited('session refresh', `a rolling refresh failed: ${error.message}`)
 */
export function logRateLimited(kind: string, message: string, level: 'warn' | 'error' = 'warn'): void {
  const now = Date.now()
  const last = reported.get(kind)
  if (last && now - last.at < RATE_WINDOW_MS) {
    last.suppressed++
    return
  }
  // Kinds are a handful of fixed strings; the map never grows past them.
  reported.set(kind, { at: now, suppressed: 0 })
  logger[level](`${message}${last?.suppressed ? ` (${last.suppressed} more since the last report)` : ''}`)
}

/**
 * Whether an error only says that the client went away (an aborted upload, a reset connection): not a server error.
 * @param error what was thrown
 * @param req the request, whose state tells an abort apart from a failure
 * @param req.destroyed set once the request's stream was torn down
 * @param req.aborted set by Node when the client aborted the request
 * @param req.complete set by Node once the whole request arrived
 * @returns true for a client that went away
 */
export function isClientGone(error: unknown, req: { destroyed?: boolean, aborted?: boolean, complete?: boolean }): boolean {
  const causes = [error, (error as { cause?: unknown } | undefined)?.cause]
  const aborted = causes.some(cause => ['ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes((cause as { code?: string } | undefined)?.code ?? '')
    || (cause as Error | undefined)?.message === 'aborted')
  return aborted || req.aborted === true || (req.destroyed === true && req.complete === false)
}
