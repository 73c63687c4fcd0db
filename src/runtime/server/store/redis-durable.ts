import type { Redis } from 'ioredis'
import type { RedisClient } from './redis-client'

/** Confirms that the writes a client made so far reached its replicas; rejects when too few confirmed in time. */
export type ConfirmWrites = () => Promise<void>

/** A write that was applied on the primary but not confirmed by enough replicas in time: answered with a 503. */
export class ReplicaConfirmationError extends Error {
  override name = 'ReplicaConfirmationError'
  /** The primary applied the write: only its replication is unconfirmed. */
  readonly appliedOnPrimary = true
}

/**
 * Durable writes: after a write, `WAIT <replicas> <timeoutMs>` on the connection that made it, so that a write is
 * only acknowledged once replicas hold it, and a failover cannot lose it. WAIT blocks its connection, so waits are
 * shared: a write whose reply came while a WAIT is still pending on that connection was applied before the WAIT, which
 * therefore covers it; only a write that finds none sends one. At most one WAIT is pending per client.
 * WAIT only counts what its own connection wrote: should the connection close between a write and its WAIT's answer
 * (a failover; ioredis sends an unanswered WAIT again on the new connection, where it covers nothing and a fresh
 * primary's replicas confirm at once), the write is not confirmed.
 * @param client the writing client (standalone or Sentinel; a cluster routes WAIT to no particular node)
 * @param replicas how many replicas must confirm (0: off)
 * @param timeoutMs how long one WAIT may take
 * @returns the confirmation step, or undefined when off
 * @example
 * const confirm = durableWrites(client, 1, 500)
 * await client.set('k', 'v'); await confirm?.()
 */
export function durableWrites(client: RedisClient, replicas: number, timeoutMs: number): ConfirmWrites | undefined {
  if (!(replicas > 0)) return undefined
  // Counts the connections the client has closed: a WAIT covers the writes of the connection it was answered on.
  let connection = 0
  client.on('close', () => {
    connection++
  })
  let pending: { sent: Promise<number>, connection: number } | undefined
  return async () => {
    // The write whose reply just came was made on the connection open now.
    const wrote = connection
    if (!pending || pending.connection !== wrote) {
      const sent = (client as Redis).wait(replicas, timeoutMs)
      const wait = { sent, connection: wrote }
      pending = wait
      const clear = () => {
        if (pending === wait) pending = undefined
      }
      sent.then(clear, clear)
    }
    const confirmed = await pending.sent
    if (connection !== wrote) {
      throw new ReplicaConfirmationError('the connection to the primary closed before the replicas confirmed the write')
    }
    if (confirmed < replicas) {
      throw new ReplicaConfirmationError(`${confirmed} of ${replicas} replicas confirmed the write within ${timeoutMs} ms`)
    }
  }
}
