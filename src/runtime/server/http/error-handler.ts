import type { NitroErrorHandler } from 'nitropack/types'
import { StoreUnavailableError, StorefrontHttpError } from '../session/errors'
import { describeFatalRedisError } from '../store/redis-health'
import { isClientGone, logger, logRateLimited, logUnexpectedError } from '../log'
import { isPageRequest, sendProblem, sendUnavailablePage, toProblem } from './problem'
import { nodeRequest, responseHeadSent } from '../internal/h3'

// The RPC and form routes, the bare `/api/rpc` and a path with doubled slashes (`//api/rpc/…`, which no route matches)
// included: an API client gets a problem there, never Nuxt's error page.
const API_PATH = /^\/+api\/+(?:rpc|form)(?:[/?#]|$)/

/**
 * Answers the session engine's errors (store unavailable, limits, bad input, `requireStorefrontUser`'s 401) and every
 * RPC and form-route error with
 * `application/problem+json`; every other error goes on to the next handler (Nuxt's error page).
 */
const storefrontErrorHandler: NitroErrorHandler = async (error, event) => {
  // A store that is out fails a page with a 503 page (see the store-outage middleware).
  // h3 may wrap a thrown engine error; the engine's own error carries the status.
  const ours = [error, (error as { cause?: unknown }).cause].find(e => e instanceof StorefrontHttpError)
  if (!ours && !API_PATH.test(event.path)) {
    return
  }
  if (isClientGone(error, nodeRequest(event))) {
    // A client that went away (an aborted upload) is no server error, and nobody is left to answer.
    logger.debug(`${event.method} ${event.path.slice(0, 128)}: the client went away`)
    if (!responseHeadSent(event)) await sendProblem(event, { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'the request was aborted' })
    return
  }
  if (ours instanceof StoreUnavailableError && isPageRequest(event)) {
    logStoreFailure(error)
    await sendUnavailablePage(event)
    return
  }
  const problem = toProblem(ours ?? error, !import.meta.dev)
  if (problem.status >= 500 && problem.status !== 503) {
    logUnexpectedError(error)
  }
  else if (problem.status === 503) {
    logStoreFailure(error)
  }
  await sendProblem(event, problem)
}

export default storefrontErrorHandler

// An outage fails every request: one line per 10 s, with the cause, is what an operator needs. Causes that waiting
// will not cure (credentials, certificates, the ACL) were logged once, with what to fix, where they were seen.
function logStoreFailure(error: unknown) {
  const failure = [error, (error as { cause?: unknown }).cause].find(e => e instanceof StoreUnavailableError) as StoreUnavailableError | undefined
  if (failure?.cause !== undefined && describeFatalRedisError(failure.cause)) return
  const cause = (failure?.cause as Error | undefined)?.message ?? 'unknown cause'
  logRateLimited('store unavailable', `${failure?.message ?? 'session store unavailable'}: ${cause}`)
}
