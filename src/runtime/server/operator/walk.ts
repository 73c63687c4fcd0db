import type { Cluster, Redis } from 'ioredis'
import type { Storage } from 'unstorage'
import type { RedisClient } from '../store/redis-client'
import { whenReady } from '../store/redis-client'

/** How a full walk of a shop's keys proceeds. */
export interface WalkOptions {
  /** Keys asked for per `SCAN` call (its `COUNT`); bounded to 1–10000. */
  count: number
  /** Milliseconds to wait between two batches, so that the store keeps serving requests. */
  pauseMs: number
  /** Stops the walk after the current batch. */
  signal?: AbortSignal
  /** Told after every batch: which node, and how many keys were seen so far. */
  onProgress?: (progress: WalkProgress) => void
}

/** Where a walk stands. */
export interface WalkProgress {
  /** The node being walked (`host:port`), or `store` for a generic driver. */
  node: string
  /** Its position among the nodes walked, from 1. */
  nodeIndex: number
  nodes: number
  /** Keys seen so far, over every node. */
  scanned: number
}

/** The result of a walk. */
export interface WalkResult {
  scanned: number
  /** True when the signal stopped it before the end. */
  interrupted: boolean
}

/**
 * Where a walk reads keys: a Redis client (standalone, Sentinel or Cluster) with the driver's key prefix, or any
 * other unstorage driver through the storage scoped to the session mount.
 */
export type WalkSource
  = | { kind: 'redis', client: RedisClient, prefix: string, timeoutMs?: number }
    | { kind: 'generic', storage: Storage }

/** One batch of a walk: keys relative to the store (without the Redis prefix), and the node they live on. */
export interface WalkBatch {
  keys: string[]
  /** The Redis connection that holds these keys (a master of a cluster), for commands on them. */
  node?: Redis
}

const MAX_COUNT = 10_000

/**
 * Walks every key of a shop, in batches: `SCAN` with `MATCH <prefix><shopId>:*` and a bounded `COUNT` on a Redis
 * server, or on every master of a Redis Cluster one after the other, with a pause between batches. Any other driver
 * lists the keys under the shop's base through `getKeys` (a full walk of the driver, in one call) and hands them out
 * in batches of `count`. Keys of other shops are never handed out.
 * @param source the store's keys
 * @param shopId the shop
 * @param options batch size, pause, signal and progress
 * @param visit called with each batch; the walk waits for it
 * @returns how many keys were seen, and whether the signal stopped the walk
 */
export async function walkShopKeys(source: WalkSource, shopId: string, options: WalkOptions, visit: (batch: WalkBatch) => Promise<void>): Promise<WalkResult> {
  const count = Math.min(MAX_COUNT, Math.max(1, Math.floor(options.count) || 1))
  let scanned = 0
  const stopped = () => options.signal?.aborted === true
  const pause = () => (options.pauseMs > 0 ? new Promise(resolve => setTimeout(resolve, options.pauseMs)) : Promise.resolve())

  if (source.kind === 'generic') {
    const keys = (await source.storage.getKeys(`${shopId}:`)).filter(key => key.startsWith(`${shopId}:`))
    for (let i = 0; i < keys.length; i += count) {
      const batch = keys.slice(i, i + count)
      await visit({ keys: batch })
      scanned += batch.length
      options.onProgress?.({ node: 'store', nodeIndex: 1, nodes: 1, scanned })
      if (stopped()) return { scanned, interrupted: i + count < keys.length }
      if (i + count < keys.length) await pause()
    }
    return { scanned, interrupted: false }
  }

  // The driver runs without an offline queue: a command sent before the first connection would fail.
  const connectTimeout = source.timeoutMs || 10_000
  await whenReady(source.client, connectTimeout)
  const nodes = mastersOf(source.client)
  for (const node of nodes) {
    if (node.status === 'wait') await node.connect()
    await whenReady(node, connectTimeout)
  }
  const match = `${escapeGlob(source.prefix + shopId)}:*`
  for (const [index, node] of nodes.entries()) {
    let cursor = '0'
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', match, 'COUNT', count)
      cursor = next
      const keys = found.filter(key => key.startsWith(source.prefix)).map(key => key.slice(source.prefix.length))
      if (keys.length > 0) await visit({ keys, node })
      scanned += found.length
      options.onProgress?.({ node: nodeName(node), nodeIndex: index + 1, nodes: nodes.length, scanned })
      const more = cursor !== '0' || index < nodes.length - 1
      if (stopped()) return { scanned, interrupted: more }
      if (more) await pause()
    } while (cursor !== '0')
  }
  return { scanned, interrupted: false }
}

/**
 * The connections a walk scans: every master of a cluster, or the client itself.
 * @param client an ioredis client or cluster
 * @returns the connections
 */
export function mastersOf(client: RedisClient): Redis[] {
  return (client as { isCluster?: boolean }).isCluster ? (client as Cluster).nodes('master') : [client as Redis]
}

function nodeName(node: Redis): string {
  const options = (node as { options?: { host?: string, port?: number } }).options
  return options?.host ? `${options.host}:${options.port}` : 'redis'
}

/** Escapes the characters `SCAN MATCH` treats as a pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
