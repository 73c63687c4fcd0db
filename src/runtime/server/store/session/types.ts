/** Session fields to write: field name to value (values are JSON texts). */
export type SessionFields = Record<string, string>

/**
 * A session record as a store reads it: names and values in turn, the meta field `m` first, either as an array
 * `[name, value, name, value, …]` or as the one string of lines the Redis store keeps (`m\n<meta>\n<name>\n<value>…`),
 * handed back unsplit. Field names and values never contain a line feed.
 */
export type SessionRecord = readonly string[] | string

/** The changes one request makes to a record. */
export interface SessionWrite {
  set: SessionFields
  del: string[]
}

/** How long a record lives and the moment it ends (ms since epoch). */
export interface SessionExpiry {
  ttlMs: number
  expiresAt: number
}

/** The keys a write needs: the record, and for user sessions the per-user index and the user's record. */
export interface SessionStoreKeys {
  hash: string
  session: string
  index?: string
  /** The user's record, whose lifetime a user session's write extends to its own. */
  profile?: string
  /** Keys whose lifetime follows a guest session's on a refresh (its basket and wishlist), when they exist. */
  follow?: string[]
}

/** A change to a user's record: fields (top-level keys of the user, values JSON texts) to set and to delete. */
export interface UserRecordWrite {
  set: SessionFields
  del: string[]
  /** Replace the whole record (a login); otherwise merge into the stored one, which must exist. */
  replace: boolean
}

/** One entry of a user's index, with the record's meta field. */
export interface IndexedSession {
  hash: string
  meta: string
}

/** Where a page of a user's sessions starts: after `count` entries of the index score `score`. */
export interface SessionPageCursor {
  score: string
  count: number
}

/** A page of a user's sessions to read. */
export interface SessionPageRequest {
  limit: number
  after?: SessionPageCursor
}

/** A page of a user's sessions. */
export interface SessionPage {
  sessions: IndexedSession[]
  /** Entries the index holds (live or not yet pruned). */
  total: number
  /** Where the next page starts; null after the last. */
  next: SessionPageCursor | null
}

/**
 * The operations the session engine needs from a store. Each one is a single atomic step on Redis (one script) and
 * runs under an in-process lock on other drivers.
 */
export interface SessionStore {
  /** `redis` or `generic`. */
  readonly kind: 'redis' | 'generic'
  /** True when the store bounds every operation by the store timeout itself (no timer per call is needed). */
  readonly timesOutItself?: boolean
  /** Reads a record; null when missing or expired. */
  read: (key: string) => Promise<SessionRecord | null>
  /** Reads a user session and its user's record in one round trip (one MGET on Redis). */
  readWithUser: (key: string, userKey: string) => Promise<readonly [SessionRecord | null, SessionRecord | null]>
  /**
   * Writes a user's record in one atomic step (a script on Redis, under the user's lock elsewhere). It lives at least
   * `ttlMs` and never less than it already had. A merge into a record that is gone writes nothing and returns false.
   */
  writeUser: (key: string, lockKey: string, write: UserRecordWrite, ttlMs: number) => Promise<boolean>
  /**
   * Creates a record unless one exists and records it in the index. With `maxPerUser`, the user's least recently
   * active sessions past that number are deleted in the same step. Returns false when the key was taken.
   */
  create: (keys: SessionStoreKeys, fields: SessionFields, expiry: SessionExpiry, options?: { maxPerUser?: number }) => Promise<boolean>
  /** Applies a write to a record that still exists; never recreates a destroyed one. Returns false when gone. */
  update: (keys: SessionStoreKeys, write: SessionWrite, expiry: SessionExpiry) => Promise<boolean>
  /** Deletes a record and its index entry. */
  remove: (keys: SessionStoreKeys) => Promise<void>
  /**
   * Lists one page of a user's live sessions, in the index's order (expiry: least recently active first), pruning
   * expired or missing index entries on the way. One bounded step per page, whatever the index holds.
   */
  listUserSessions: (index: string, userSessionPrefix: string, now: number, page: SessionPageRequest) => Promise<SessionPage>
  /**
   * Deletes every session of a user except those whose hash is kept, in bounded batches (one script each on Redis);
   * every one has ended when it resolves. Returns how many were deleted.
   */
  removeUserSessions: (index: string, userSessionPrefix: string, keepHashes: string[]) => Promise<number>
  /**
   * Counts one attempt in a fixed window per key: each key's count, and the ms left in its window. On Redis one
   * INCR and PEXPIRE script per key, all sent together (one round trip).
   */
  countAttempts: (keys: string[], windowMs: number) => Promise<{ count: number, resetMs: number }[]>
  /**
   * Gives back one attempt per key, in windows that are still open (never below 0): a login that succeeded. On Redis
   * one script per key, all sent together.
   */
  returnAttempts: (keys: string[]) => Promise<void>
  /** Reads the record of a mutating call (`Idempotency-Key`): `1` (applied) or the result as JSON; null when none. */
  readOnce: (key: string) => Promise<string | null>
  /** Writes the record of a mutating call, for `ttlMs`. */
  writeOnce: (key: string, value: string, ttlMs: number) => Promise<void>
  /**
   * Takes a mutating call's claim while it runs (for `ttlMs`), in one step with the read of its record: the record
   * when it holds a result (JSON; no claim taken then), else whether the claim was taken (false: another call holds it)
   * and the record when it holds a marker (`~` and the call's payload fingerprint).
   */
  claimOnce: (claimKey: string, recordKey: string, ttlMs: number) => Promise<{ claimed: boolean, record: string | null }>
  /** Gives a claim up. */
  releaseOnce: (key: string) => Promise<void>
  /** Stops background work. */
  dispose: () => Promise<void>
}

/** Options shared by the store implementations. */
export interface SessionStoreOptions {
  /** Whether the driver expires keys by itself; if not, expiry is checked on read and swept in the background. */
  nativeTtl: boolean
  /** Background sweep period in ms for drivers without native TTL; 0 turns it off. */
  sweepIntervalMs: number
  /** The store timeout; bounds the wait for a first Redis connection. */
  timeoutMs?: number
  /** Redis: replicas that must confirm each write before it is acknowledged (`WAIT`); 0 turns it off. */
  waitForReplicas?: number
}
