import type { NitroErrorHandler } from 'nitropack/types'
import { StoreUnavailableError, SessionLimitError } from './session/errors'
import { sendProblem, toProblem } from './problem'

/**
 * Answers session store failures and RPC errors with `application/problem+json`; every other error goes on to the
 * next handler (Nuxt's error page).
 */
const storefrontErrorHandler: NitroErrorHandler = async (error, event) => {
  const cause = (error as { cause?: unknown }).cause
  const ours = [error, cause].some(e => e instanceof StoreUnavailableError || e instanceof SessionLimitError)
  if (!ours && !event.path.startsWith('/api/rpc/')) {
    return
  }
  const problem = toProblem(ours && !(error instanceof StoreUnavailableError || error instanceof SessionLimitError) ? cause : error, !import.meta.dev)
  if (problem.status >= 500 && problem.status !== 503) {
    console.error('[storefront] unexpected error', error)
  }
  else if (problem.status === 503) {
    logStoreFailure(error)
  }
  await sendProblem(event, problem)
}

export default storefrontErrorHandler

let lastLogged = 0
let suppressed = 0

// An outage fails every request: one line per 10 s, with the cause, is what an operator needs.
function logStoreFailure(error: unknown) {
  const now = Date.now()
  if (now - lastLogged < 10_000) {
    suppressed++
    return
  }
  const failure = [error, (error as { cause?: unknown }).cause].find(e => e instanceof StoreUnavailableError) as StoreUnavailableError | undefined
  const cause = (failure?.cause as Error | undefined)?.message ?? 'unknown cause'
  console.warn(`[storefront] ${failure?.message ?? 'session store unavailable'}: ${cause}${suppressed ? ` (${suppressed} more since the last report)` : ''}`)
  lastLogged = now
  suppressed = 0
}
