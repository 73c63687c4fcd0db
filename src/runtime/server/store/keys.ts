import type { CommerceOwner } from '../../types/commerce'
import type { SessionIdInfo } from '../session/id'
import { hashSessionId } from '../session/id'

// The whole keyspace of the session mount, in one place. Every key starts with `<shopId>:{g:<hash>}` (a guest) or
// `<shopId>:{u:<userId>}` (a user), the owner; the hash tag keeps all keys of one owner in one Redis Cluster slot.
// After the owner:
//   :s            a guest's session record          :s:<hash>   a user's session record
//   :i            a user's session index            :p          a user's record
//   :b / :w       basket / wishlist                 :l          a guest's login lock (while a login merges it)
//   :mb:<hash>    / :mw:<hash>  the name of a user's merge marker for one guest session (see below)
//   :k:<digest>   an Idempotency-Key record       :k:n.<hash>  a session's count of keyed calls in the window
//   :k:<digest>.c the claim of a keyed call while it runs (app methods)
// A user's merge markers are stored with the list they guard, so that one write stores both: on other drivers in
// the `:b` or `:w` value, on Redis as fields of the user's record. The marker names are what the commerce store is
// called with; a key of that name, written before markers moved in, still counts as merged.
// On Redis an owner's basket, wishlist and merge markers are fields of one record instead (commerceRecordOf): a
// guest's session record, a user's `:c`; `:b`, `:w` and the marker keys are the names the commerce store is called
// with, and where the lists of data written before that layout are read until a write folds them in.

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

/**
 * The owner part (`<shopId>:{…}`) of any key of the keyspace: what a per-owner lock or a merge of one owner scopes to.
 * @param key a key
 * @returns the owner prefix, or the key itself when it carries no owner
 */
export function ownerOf(key: string): string {
  return /^[^{]*\{[^}]*\}/.exec(key)?.[0] ?? key
}

/**
 * Keys of an owner's commerce data: `<owner>:b` basket, `<owner>:w` wishlist; for a guest also the session and the
 * login lock that guard writes. Everything of one owner shares the owner's hash tag.
 * @param owner the owner
 * @returns its keys
 */
export function commerceKeys(owner: CommerceOwner): { basket: string, wishlist: string, guard?: { session: string, lock: string } } {
  const prefix = owner.kind === 'guest'
    ? ownerKey(owner.shopId, { kind: 'guest', hash: owner.sessionHash })
    : ownerKey(owner.shopId, { kind: 'user', userId: owner.userId })
  return {
    basket: `${prefix}:b`,
    wishlist: `${prefix}:w`,
    guard: owner.kind === 'guest' ? { session: `${prefix}:s`, lock: `${prefix}:l` } : undefined,
  }
}

/**
 * Where an owner's lists live on Redis: one record per owner (a key costs Redis about 60 bytes before its name),
 * with the basket and the wishlist as its fields: a guest's session record, or a user's `<owner>:c`, which also holds
 * the user's merge markers. With the keys the lists had before (`<owner>:b`, `<owner>:w`), read until a write folds
 * them into the record.
 * @param key a basket, wishlist or merge marker key of the owner
 * @returns the record, whether the owner is a guest, and the earlier keys
 */
export function commerceRecordOf(key: string): { record: string, guest: boolean, earlier: [string, string] } {
  const owner = ownerOf(key)
  const guest = owner.includes('{g:')
  return { record: `${owner}:${guest ? 's' : 'c'}`, guest, earlier: [`${owner}:b`, `${owner}:w`] }
}

/**
 * The basket and wishlist of an owner, which a refresh of a guest session takes along (they live as long as it).
 * @param owner the owner prefix
 * @returns their keys
 */
export function ownerDataKeys(owner: string): string[] {
  return [`${owner}:b`, `${owner}:w`]
}

/**
 * The lock a login holds on a guest while it merges: guest writes are refused while it exists.
 * @param guest the guest owner
 * @returns its key
 */
export function loginLockKey(guest: CommerceOwner & { kind: 'guest' }): string {
  return `${ownerKey(guest.shopId, { kind: 'guest', hash: guest.sessionHash })}:l`
}

/**
 * The name of the marker of one guest session's merges into a user's basket (`b`) or wishlist (`w`); it is stored with
 * that list (see the keyspace comment above).
 * @param user the user owner
 * @param kind `b` or `w`
 * @param guest the guest owner
 * @returns its key
 */
export function mergeMarkerKey(user: CommerceOwner & { kind: 'user' }, kind: 'b' | 'w', guest: CommerceOwner & { kind: 'guest' }): string {
  return `${ownerKey(user.shopId, { kind: 'user', userId: user.userId })}:m${kind}:${guest.sessionHash}`
}

/**
 * The guest session a merge marker is of (the hash after the marker's last colon).
 * @param marker a key from {@link mergeMarkerKey}
 * @returns the guest session's hash
 */
export function markerGuestHash(marker: string): string {
  return marker.slice(marker.lastIndexOf(':') + 1)
}

/**
 * The `Idempotency-Key` record of a call, under the owner of the session that made it.
 * @param owner the owner prefix
 * @param digest the call's digest
 * @returns its key
 */
export function idempotencyKey(owner: string, digest: string): string {
  return `${owner}:k:${digest}`
}

/**
 * Whether an idempotency record belongs to the owner of a data key (`<owner>:b` or `<owner>:w`).
 * @param record the idempotency record's key
 * @param dataKey the basket or wishlist key
 * @returns true when both share the owner
 */
export function isIdempotencyKeyOf(record: string, dataKey: string): boolean {
  return record.startsWith(`${dataKey.slice(0, dataKey.lastIndexOf(':'))}:k:`)
}

/**
 * What an idempotency record that is not a result holds: the call's payload fingerprint after a marker. Set by a
 * commerce write in its own step, and in place of a result too large to keep.
 * @param fingerprint the call's payload fingerprint
 * @returns the record's value
 */
export function idempotencyMarker(fingerprint: string): string {
  return `~${fingerprint}`
}

/**
 * An idempotency record as stored, parsed once: a result (`{"r":…,"f":"<fingerprint>"}`) or a marker
 * (`~<fingerprint>`, set by a write's own step or in place of a result too large to keep).
 * @param stored the record as stored
 * @returns its payload fingerprint (undefined for a record from before fingerprints, `1` or `{"r":…}`, which matches
 * any), and its result when it holds one
 */
export function readIdempotencyRecord(stored: string): { fingerprint?: string, result?: { r?: unknown } } {
  if (stored.startsWith('~')) return { fingerprint: stored.slice(1) }
  if (!stored.startsWith('{')) return {}
  const result = JSON.parse(stored) as { r?: unknown, f?: string }
  return { fingerprint: result.f, result }
}

/**
 * Whether a key names a session record (`<owner>:s` or `<owner>:s:<hash>`).
 * @param key a key
 * @returns true for a session record
 */
export function isSessionRecordKey(key: string): boolean {
  return /:s(?::[\w-]+)?$/.test(key)
}

/**
 * For a guest's basket, wishlist or login lock, the key of the guest session it goes with.
 * @param key a key
 * @returns the guest session key, or undefined for any other key
 */
export function guestSessionOfData(key: string): string | undefined {
  const guest = /^(.*\{g:[^}]+\}):[bwl]$/.exec(key)
  return guest ? `${guest[1]}:s` : undefined
}

/**
 * Whether a key is a user's session index (`<owner>:i`).
 * @param key a key
 * @returns true for an index
 */
export function isUserIndexKey(key: string): boolean {
  return key.endsWith(':i') && key.includes('{u:')
}

/**
 * Whether an embedded store gives a key up before any user's session, profile or lists when it is full: every key of
 * a guest, the login limiter's counters (`{rl:…}`, one per account tried) and Idempotency-Key records (`<owner>:k:…`).
 * Each of these can be made in any number by anonymous requests (random accounts at the login, fresh keys on a
 * retry), so none of them may push a logged-in shopper out.
 * @param key a key
 * @returns true for a key that goes first
 */
export function isDisposableKey(key: string): boolean {
  return key.includes('{g:') || key.includes('{rl:') || key.includes('}:k:')
}

/**
 * The login limiter's counters: one per account tried and one per client address, each its own hash tag (they are
 * counted in one round trip only where the backend allows it).
 * @param shopId the shop
 * @param digests the account's and the address's digests; an undefined one is not counted
 * @param digests.account the account's digest
 * @param digests.address the client address's digest
 * @returns the counter keys, account first
 */
export function loginLimitKeys(shopId: string, digests: { account?: string, address?: string }): { account?: string, address?: string } {
  return {
    account: digests.account === undefined ? undefined : `${shopId}:{rl:a:${digests.account}}`,
    address: digests.address === undefined ? undefined : `${shopId}:{rl:c:${digests.address}}`,
  }
}

// Keys of a shop, after `<shopId>:`, as the operator counts and ends them; user ids are `[\w-]{1,64}` (id.ts).
export const SHOP_KEY_SHAPES = {
  guestSession: /^\{g:[^{}]+\}:s$/,
  userSession: /^\{u:[\w-]{1,64}\}:s:[^:]+$/,
  userIndex: /^\{u:([\w-]{1,64})\}:i$/,
  userRecord: /^\{u:[\w-]{1,64}\}:p$/,
} as const
