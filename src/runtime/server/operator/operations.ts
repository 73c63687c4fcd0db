import type { Driver, Storage } from 'unstorage'
import type { StorefrontSessionInfo } from '../../types/rpc'
import { describeSessions, MAX_SESSION_PAGE } from '../account/device-list'
import type { ResolvedShop } from '../session/config'
import { isValidUserId } from '../session/id'
import { SHOP_KEY_SHAPES, userKeys } from '../store/keys'
import type { RedisClient } from '../store/redis-client'
import type { IndexedSession, SessionPageCursor, SessionStore } from '../store/session'
import { redisKeyPrefix } from '../store/backend'
import type { WalkBatch, WalkOptions, WalkResult, WalkSource } from './walk'
import { walkShopKeys } from './walk'

/** What an operation works on: one shop, its session store, and where its keys are walked. */
export interface OperatorTarget {
  shop: ResolvedShop
  sessions: SessionStore
  source: WalkSource
}

/** Sessions of a shop, by the names of the keys a walk found. */
export interface SessionCount extends WalkResult {
  shopId: string
  guestSessions: number
  userSessions: number
  /** Users with a session index (users who had a session lately). */
  users: number
}

const { guestSession: GUEST_SESSION, userSession: USER_SESSION, userIndex: USER_INDEX, userRecord: USER_RECORD } = SHOP_KEY_SHAPES

/**
 * Where the keys of a store are walked: the Redis client for the redis driver, the scoped storage otherwise.
 * @param storage unstorage scoped to the session mount
 * @param driver the driver behind it
 * @param timeoutMs how long a walk waits for the first connection to Redis
 * @returns the walk source
 */
export function walkSourceOf(storage: Storage, driver: Driver, timeoutMs?: number): WalkSource {
  if (driver.name === 'redis' && typeof driver.getInstance === 'function') {
    return { kind: 'redis', client: driver.getInstance() as RedisClient, prefix: redisKeyPrefix(driver), timeoutMs }
  }
  return { kind: 'generic', storage }
}

/**
 * Counts the sessions of a shop by walking its keys (a full walk, off the request path).
 * @param target the shop and its store
 * @param options batch size, pause, signal and progress
 * @returns guest and user sessions, users with an index, and how the walk went
 */
export async function countShopSessions(target: OperatorTarget, options: WalkOptions): Promise<SessionCount> {
  const count = { guestSessions: 0, userSessions: 0, users: 0 }
  const walk = await walkShopKeys(target.source, target.shop.id, options, async ({ keys }) => {
    for (const key of shopRelative(target, keys)) {
      if (USER_SESSION.test(key)) count.userSessions++
      else if (GUEST_SESSION.test(key)) count.guestSessions++
      else if (USER_INDEX.test(key)) count.users++
    }
  })
  return { shopId: target.shop.id, ...count, ...walk }
}

/**
 * Ends every session of a shop: deletes every guest and user session, every user's index and user record (a full
 * walk). Users' baskets and wishlists stay until they expire; on Redis a guest's lists live in its session record and
 * end with it. For a leaked signing secret: rotate the secret first.
 * @param target the shop and its store
 * @param options batch size, pause, signal and progress
 * @returns how many keys were deleted, and how the walk went
 */
export async function endShopSessions(target: OperatorTarget, options: WalkOptions): Promise<WalkResult & { shopId: string, deleted: number }> {
  let deleted = 0
  const walk = await walkShopKeys(target.source, target.shop.id, options, async (batch) => {
    const relative = shopRelative(target, batch.keys)
    const doomed = batch.keys.filter((_, i) => isSessionKey(relative[i]!))
    deleted += await deleteKeys(target, batch, doomed)
  })
  return { shopId: target.shop.id, deleted, ...walk }
}

/**
 * Removes the entries of every user index of a shop whose session expired or is gone (a full walk; each index is
 * pruned by the store's own listing of the user's sessions).
 * @param target the shop and its store
 * @param options batch size, pause, signal and progress
 * @returns how many indexes were checked and entries removed, and how the walk went
 */
export async function purgeExpiredIndexEntries(target: OperatorTarget, options: WalkOptions): Promise<WalkResult & { shopId: string, indexes: number, entriesRemoved: number }> {
  let indexes = 0
  let entriesRemoved = 0
  const walk = await walkShopKeys(target.source, target.shop.id, options, async ({ keys }) => {
    for (const key of shopRelative(target, keys)) {
      const userId = USER_INDEX.exec(key)?.[1]
      if (!userId) continue
      const user = userKeys(target.shop.id, userId)
      const before = await indexSize(target, user.index)
      const live = await allSessionsOf(target, user)
      indexes++
      entriesRemoved += Math.max(0, before - live.length)
    }
  })
  return { shopId: target.shop.id, indexes, entriesRemoved, ...walk }
}

/**
 * The live sessions of one user, as the user's device list shows them (no walk: the user's index).
 * @param target the shop and its store
 * @param userId the user
 * @returns the sessions, oldest first
 */
export async function listSessionsOfUser(target: OperatorTarget, userId: string): Promise<StorefrontSessionInfo[]> {
  const user = userKeys(target.shop.id, checkedUserId(userId))
  const entries = await allSessionsOf(target, user)
  return describeSessions(target.shop, userId, entries, undefined).sort((a, b) => a.createdAt - b.createdAt)
}

/**
 * Ends every session of one user (no walk: the user's index).
 * @param target the shop and its store
 * @param userId the user
 * @returns how many sessions were ended
 */
export async function endSessionsOfUser(target: OperatorTarget, userId: string): Promise<number> {
  const user = userKeys(target.shop.id, checkedUserId(userId))
  return await target.sessions.removeUserSessions(user.index, user.userSessionPrefix, [])
}

/**
 * Every live session of one user, read page by page (one bounded store call each); the listing prunes the index's
 * expired and dangling entries as it goes.
 * @param target the shop and its store
 * @param user the user's keys
 * @returns the sessions, in the index's order
 */
async function allSessionsOf(target: OperatorTarget, user: ReturnType<typeof userKeys>): Promise<IndexedSession[]> {
  const sessions: IndexedSession[] = []
  let after: SessionPageCursor | undefined
  do {
    const page = await target.sessions.listUserSessions(user.index, user.userSessionPrefix, Date.now(), { limit: MAX_SESSION_PAGE, after })
    sessions.push(...page.sessions)
    after = page.next ?? undefined
  } while (after)
  return sessions
}

function checkedUserId(userId: string): string {
  if (!isValidUserId(userId)) throw new TypeError(`invalid user id ${JSON.stringify(userId)}: 1 to 64 letters, digits, _ or -`)
  return userId
}

function isSessionKey(key: string): boolean {
  return GUEST_SESSION.test(key) || USER_SESSION.test(key) || USER_INDEX.test(key) || USER_RECORD.test(key)
}

function shopRelative(target: OperatorTarget, keys: string[]): string[] {
  const head = target.shop.id.length + 1
  return keys.map(key => key.slice(head))
}

// Keys found on one node of a cluster are deleted on that node, one key per command (they sit in different slots).
async function deleteKeys(target: OperatorTarget, batch: WalkBatch, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0
  const source = target.source
  if (source.kind === 'generic') {
    for (const key of keys) await source.storage.removeItem(key)
    return keys.length
  }
  const pipeline = (batch.node ?? source.client).pipeline()
  for (const key of keys) pipeline.unlink(source.prefix + key)
  const results = await pipeline.exec()
  let deleted = 0
  for (const [error, removed] of results ?? []) {
    if (error) throw error
    deleted += Number(removed)
  }
  return deleted
}

async function indexSize(target: OperatorTarget, index: string): Promise<number> {
  const source = target.source
  if (source.kind === 'redis') return await source.client.zcard(source.prefix + index)
  const entries = await source.storage.getItem<Record<string, number>>(index)
  return entries && typeof entries === 'object' ? Object.keys(entries).length : 0
}
