import type { H3Event } from 'h3'
import { CommerceConflictError, CommerceKeyReusedError, CommerceLimitError } from '../store/commerce'
import { KeyReusedError } from '../rpc/idempotency'
import type { ResolvedShop } from '../session/config'
import { describeValue, SessionInputError, StorefrontHttpError, withStoreTimeout } from '../session/errors'
import { isValidUserId } from '../session/id'
import type { EngineSession } from '../session/session'
import type { StorefrontRuntime } from '../utils/runtime'
import { useStorefrontRuntime } from '../utils/runtime'

/** What an account operation works on: one request, its (loaded) session, its shop and the module runtime. */
export interface AccountRequest {
  readonly event: H3Event
  readonly session: EngineSession
  readonly shop: ResolvedShop
  readonly runtime: StorefrontRuntime
}

/**
 * The account request of a route: its shop, and its session loaded once (shared with every other caller).
 * @param event the request
 * @returns the request, session, shop and runtime
 */
export async function accountRequest(event: H3Event): Promise<AccountRequest> {
  const runtime = useStorefrontRuntime()
  const shop = runtime.engine.shop(event)
  const session = await runtime.engine.session(event)
  return { event, session, shop, runtime }
}

/**
 * Runs a store step within the shop's store timeout, with commerce conflicts and limits as 409 and 400 (answered as
 * problem+json from any route).
 * @param shop the shop (its store timeout)
 * @param operation what is done, for the error
 * @param work the step
 * @returns what the step returned
 */
export function guardStoreStep<T>(shop: ResolvedShop, operation: string, work: () => Promise<T>): Promise<T> {
  return withStoreTimeout(operation, shop.storeTimeoutMs, () => work().catch(translateCommerceError))
}

/**
 * A user id as given by the app, checked.
 * @param userId what the app passed
 * @returns the id
 * @throws a 400 for an id the store cannot take
 */
export function checkUserId(userId: unknown): string {
  if (!isValidUserId(userId)) {
    throw new SessionInputError(`invalid user id ${describeValue(userId)}: use 1 to 64 characters from A-Z a-z 0-9 _ -`)
  }
  return userId
}

function translateCommerceError(error: unknown): never {
  if (error instanceof CommerceConflictError) throw new StorefrontHttpError(409, 'Conflict', error.message)
  if (error instanceof CommerceLimitError) throw new StorefrontHttpError(400, 'Bad Request', error.message)
  if (error instanceof CommerceKeyReusedError) throw new KeyReusedError()
  throw error
}
