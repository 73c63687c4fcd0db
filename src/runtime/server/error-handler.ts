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
  await sendProblem(event, problem)
}

export default storefrontErrorHandler
