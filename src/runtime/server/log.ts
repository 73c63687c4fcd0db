import { consola } from 'consola'

/** The module's logger: Nuxt's consola, tagged `[storefront]`, with its levels. */
export const logger = consola.withTag('storefront')

const RATE_WINDOW_MS = 10_000
// Kinds are fixed strings and the places unexpected errors are thrown at: bounded by the code, and here as well.
const MAX_KINDS = 200
const OTHER_KIND = 'other'
const reported = new Map<string, { at: number, suppressed: number }>()

/**
 * Logs an operational error at most once per 10 s per kind; the next line says how many were left out meanwhile.
 * @param kind what failed, e.g. `session refresh`: lines of one kind share the window
 * @param message the line
 * @param level consola level
 * @param error logged after the line, with its stack and cause
 * @example
 * logRateLimited('session refresh', `a rolling refresh failed: ${error.message}`)
 */
export function logRateLimited(kind: string, message: string, level: 'warn' | 'error' = 'warn', error?: unknown): void {
  const now = Date.now()
  const key = reported.has(kind) || reported.size < MAX_KINDS ? kind : OTHER_KIND
  const last = reported.get(key)
  if (last && now - last.at < RATE_WINDOW_MS) {
    last.suppressed++
    return
  }
  reported.set(key, { at: now, suppressed: 0 })
  const line = `${message}${last?.suppressed ? ` (${last.suppressed} more since the last report)` : ''}`
  if (error === undefined) logger[level](line)
  else logger[level](line, error)
}

/**
 * Logs an unexpected error (answered with a 500): with its stack the first time in 10 s that one place throws it, then
 * only counted until the window ends, so that a client repeating a request that fails cannot flood the log.
 * @param error what was thrown
 * @example
 * if (problem.status >= 500 && problem.status !== 503) logUnexpectedError(error)
 */
export function logUnexpectedError(error: unknown): void {
  logRateLimited(`unexpected error: ${thrownAt(error)}`, 'unexpected error', 'error', error)
}

// Where an error was thrown: its innermost cause (h3 wraps what a handler throws), by name and first stack frame
// outside `createError`.
function thrownAt(error: unknown): string {
  let origin = error
  for (let depth = 0; depth < 8 && origin instanceof Error && origin.cause instanceof Error; depth++) origin = origin.cause
  if (!(origin instanceof Error)) return typeof origin
  const frame = origin.stack?.split('\n').map(line => line.trim()).find(line => line.startsWith('at ') && !line.includes('createError'))
  return `${origin.name} ${frame ?? origin.message.slice(0, 100)}`
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
