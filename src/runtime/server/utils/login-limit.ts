import { createHash } from 'node:crypto'
import type { H3Event } from 'h3'
import { getRequestIP, setResponseHeader } from 'h3'
import { StorefrontHttpError, toStoreError } from '../session/errors'
import { loginLimitKeys } from '../store/keys'
import { useStorefrontRuntime } from './runtime'

/** Options of {@link limitLoginAttempts}; unset ones take the module's `loginLimit` options. */
export interface LoginLimitOptions {
  /** The account tried (an email, a customer number): counted apart from the client address. */
  account: string
  /** Attempts per account in one window. */
  perAccount?: number
  /** Attempts per client address in one window. */
  perAddress?: number
  /** The window in seconds. */
  window?: number
}

/** A 429 with the seconds to wait. */
class TooManyAttemptsError extends StorefrontHttpError {
  override name = 'TooManyAttemptsError'
  constructor(readonly retryAfter: number) {
    super(429, 'Too Many Requests', `too many login attempts: try again in ${retryAfter} seconds`)
    this.data = { retryAfter }
  }
}

/**
 * Counts a login attempt per account and per client address (fixed windows kept in the session store: one round trip
 * on Redis) and refuses it past either limit with a 429 `problem+json` and `Retry-After`. Call it in your `login`
 * method before checking the password. A login that then succeeds in the same request gives its attempt back (in the
 * round trip that saves the session), so the limits count failed attempts. Accounts and addresses are stored as
 * SHA-256 hashes, never in clear.
 * @param event the request
 * @param options the account tried, and limits other than the module's `loginLimit` options
 * @returns once the attempt may go on
 * @throws a 429 past a limit
 * @example
 * export default defineRpcHandler(async ({ email, password }, context) => {
 *   await limitLoginAttempts(context.event, { account: email })
 *   // … check the password, then context.login(user)
 * })
 */
export async function limitLoginAttempts(event: H3Event, options: LoginLimitOptions): Promise<void> {
  const runtime = useStorefrontRuntime()
  const { loginLimit } = runtime
  const perAccount = options.perAccount ?? loginLimit.perAccount
  const perAddress = options.perAddress ?? loginLimit.perAddress
  const windowMs = (options.window ?? loginLimit.window) * 1000
  const shop = runtime.engine.shop(event)
  const address = getRequestIP(event, { xForwardedFor: runtime.engine.shops.trustProxy }) ?? 'unknown'
  const limited = loginLimitKeys(shop.id, {
    account: perAccount > 0 ? digest(String(options.account).trim().toLowerCase()) : undefined,
    address: perAddress > 0 ? digest(address) : undefined,
  })
  const keys = [limited.account, limited.address]
  const counted = keys.filter((key): key is string => key !== undefined)
  if (counted.length === 0) return
  const store = await runtime.sessionsFor(shop)
  const limits = [perAccount, perAddress].filter(limit => limit > 0)
  const results = await store.countAttempts(counted, windowMs).catch((error: unknown) => {
    throw toStoreError('login limit', error)
  })
  const over = results.map((result, i) => ({ ...result, limit: limits[i]! })).filter(result => result.count > result.limit)
  if (over.length === 0) {
    // Counted until the login succeeds: a login saved in this request gives the attempt back (see loginUser), so that
    // the limits count failed attempts, not a shopper signing in on one device after another.
    const context = (event.context.storefront ??= {})
    context.loginAttempts = [...(context.loginAttempts ?? []), { store, keys: counted }]
    return
  }
  const retryAfter = Math.max(1, Math.ceil(Math.max(...over.map(result => result.resetMs)) / 1000))
  setResponseHeader(event, 'retry-after', retryAfter)
  throw new TooManyAttemptsError(retryAfter)
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 32)
}
