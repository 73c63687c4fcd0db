import type { StorefrontTokens, StorefrontUser } from '../../types'
import type { StorefrontLoginResult } from '../../types/rpc'
import { mergeGuestIntoUser, noMerge } from '../commerce/merge'
import { hashSessionId } from '../session/id'
import { cleanSessionLabel } from '../session/label'
import { TOKENS_FIELD, sealValue } from '../session/sealed'
import { LEGACY_USER_FIELD, userFields } from '../session/user-record'
import { recordLogin } from '../telemetry'
import { hasHookListeners } from '../internal/hookable'
import type { AccountRequest } from './request'
import { checkUserId, guardStoreStep } from './request'
import { checkUserRecordSize, writeUserRecord } from './user'

/** What a login may carry besides the user. */
export interface LoginOptions {
  /** Tokens of the app's backend, sealed at rest and never sent to the client. */
  tokens?: StorefrontTokens
  /** A name for this device in the user's device list. */
  label?: string
}

/**
 * Logs a user in on a request's session: merges the guest's basket and wishlist into the user's (once), binds the
 * session to the user under a new id, stores the user's record and sealed tokens, and calls `storefront:login`.
 * Everything is saved with the session when the response is sent.
 * @param request the request
 * @param user the user
 * @param options tokens and a device label
 * @returns the user and what the merge did
 */
export async function loginUser(request: AccountRequest, user: StorefrontUser, options: LoginOptions = {}): Promise<StorefrontLoginResult> {
  const { session, shop, runtime, event } = request
  const userId = checkUserId(user?.id)
  // Checked before anything changes, like the user record below.
  const label = options.label === undefined ? undefined : cleanSessionLabel(options.label)
  const adapters = await runtime.adapters()
  const guestHash = !session.userId && !session.isNew ? hashSessionId(session.id) : undefined
  // Checked before anything changes: a user the store cannot take fails the login before the merge.
  const record = userFields(user)
  checkUserRecordSize(shop, Object.entries(record).flat())
  const merge = guestHash
    ? await guardStoreStep(shop, 'login merge', async () => mergeGuestIntoUser(
        await runtime.commerceFor(shop.id),
        adapters,
        { kind: 'guest', shopId: shop.id, sessionHash: guestHash },
        { kind: 'user', shopId: shop.id, userId },
        { event, limits: runtime.limits(shop) },
        // Another login of this guest is waited for within the store timeout, then answered with a 409.
        { waitMs: shop.storeTimeoutMs / 2 },
      ))
    : noMerge()
  // A new principal starts clean (see bindToUser): another user's session data never carries over, a guest's only
  // for the keys the app marks as guest-portable; a login as the same user keeps its data.
  session.bindToUser(userId)
  if (label !== undefined) session.setLabel(label)
  writeUserRecord(request, { set: record, del: [], replace: true }, user)
  session.setField(LEGACY_USER_FIELD, undefined)
  session.setField(TOKENS_FIELD, options.tokens ? sealValue(shop, JSON.stringify(options.tokens)) : undefined)
  // The merged guest data is deleted alongside the save of the new session (one round trip). If that save fails,
  // the login lock keeps guest writes out until it expires; the merge itself is already in the user's basket.
  session.alongNextCommit(() => guardStoreStep(shop, 'login cleanup', merge.clearGuest))
  // The attempts limitLoginAttempts counted for this login are given back with the save: a login that succeeds is no
  // guess. A give-back that fails leaves the attempt counted, and fails nothing.
  for (const attempt of event.context.storefront?.loginAttempts?.splice(0) ?? []) {
    session.alongNextCommit(() => attempt.store.returnAttempts(attempt.keys).catch(() => {}))
  }
  recordLogin(shop.id, merge.report)
  if (hasHookListeners(runtime.hooks, 'storefront:login')) {
    await runtime.hooks.callHook('storefront:login', { shopId: shop.id, user, merge: merge.report, event })
  }
  return { user, merge: merge.report }
}
