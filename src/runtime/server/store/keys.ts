import type { SessionIdInfo } from '../session/id'
import { hashSessionId } from '../session/id'

/**
 * Where one session lives in the store. Keys carry a hash tag per owner (`{g:…}` for a guest, `{u:…}` for a user),
 * so that every key a multi-key operation touches sits in one Redis Cluster slot.
 */
export interface SessionKeys {
  /** SHA-256 of the session id: what the store and the per-user index hold instead of the id. */
  hash: string
  /** The session record. */
  session: string
  /** The owner's namespace, e.g. `1001:{u:42}`; commerce data of the owner lives under it. */
  owner: string
  /** For user-bound sessions: the per-user index. */
  index?: string
  /** For user-bound sessions: the prefix that, followed by a hash, gives a session key of that user. */
  userSessionPrefix?: string
  /** For user-bound sessions: the user's record, one per user and shop, read with the session in one round trip. */
  profile?: string
}

/**
 * The keys of a guest owner or of a user, independent of any session.
 * @param shopId the shop
 * @param owner `{ kind: 'guest', hash }` or `{ kind: 'user', userId }`
 * @returns the owner prefix
 */
export function ownerKey(shopId: string, owner: { kind: 'guest', hash: string } | { kind: 'user', userId: string }): string {
  return owner.kind === 'guest' ? `${shopId}:{g:${owner.hash}}` : `${shopId}:{u:${owner.userId}}`
}

/**
 * The index and session prefix of one user.
 * @param shopId the shop
 * @param userId a validated user id
 * @returns the index key, the session key prefix and the user's record
 */
export function userKeys(shopId: string, userId: string): { index: string, userSessionPrefix: string, owner: string, profile: string } {
  const owner = ownerKey(shopId, { kind: 'user', userId })
  return { owner, index: `${owner}:i`, userSessionPrefix: `${owner}:s:`, profile: `${owner}:p` }
}

/**
 * The keys of one session. The id must have been validated with `parseSessionId` first.
 * @param shopId the shop
 * @param info the parsed session id
 * @returns its keys
 */
export function sessionKeys(shopId: string, info: SessionIdInfo): SessionKeys {
  const hash = hashSessionId(info.id)
  if (info.kind === 'guest') {
    const owner = ownerKey(shopId, { kind: 'guest', hash })
    return { hash, owner, session: `${owner}:s` }
  }
  const user = userKeys(shopId, info.userId)
  return { hash, owner: user.owner, session: user.userSessionPrefix + hash, index: user.index, userSessionPrefix: user.userSessionPrefix, profile: user.profile }
}
