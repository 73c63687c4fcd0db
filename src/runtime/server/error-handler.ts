import type { NitroErrorHandler } from 'nitropack/types'
import { StoreUnavailableError, StorefrontHttpError } from './session/errors'
import { describeFatalRedisError } from './session/redis-health'
import { sendProblem, toProblem } from './problem'

/**
 * Answers the session engine's errors (store unavailable, limits, bad input, `requireStorefrontUser`'s 401) and every
 * RPC and form-route error with
 * `application/problem+json`; every other error goes on to the next handler (Nuxt's error page).
 */
const storefrontErrorHandler: NitroErrorHandler = async (error, event) => {
  // h3 may wrap a thrown engine error; the engine's own error carries the status.
  const ours = [error, (error as { cause?: unknown }).cause].find(e => e instanceof StorefrontHttpError)
  if (!ours && !event.path.startsWith('/api/rpc/') && !event.path.startsWith('/api/form/')) {
    return
  }
  const problem = toProblem(ours ?? error, !import.meta.dev)
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

// An outage fails every request: one line per 10 s, with the cause, is what an operator needs. Causes that waiting
// will not cure (credentials, certificates, the ACL) were logged once, with what to fix, where they were seen.
function logStoreFailure(error: unknown) {
  const failure = [error, (error as { cause?: unknown }).cause].find(e => e instanceof StoreUnavailableError) as StoreUnavailableError | undefined
  if (failure?.cause !== undefined && describeFatalRedisError(failure.cause)) return
  const now = Date.now()
  if (now - lastLogged < 10_000) {
    suppressed++
    return
  }
  const cause = (failure?.cause as Error | undefined)?.message ?? 'unknown cause'
  console.warn(`[storefront] ${failure?.message ?? 'session store unavailable'}: ${cause}${suppressed ? ` (${suppressed} more since the last report)` : ''}`)
  lastLogged = now
  suppressed = 0
}
