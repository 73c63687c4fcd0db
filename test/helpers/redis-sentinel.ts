import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { RedisProcess } from './redis'
import { freePort, keepTail, startRedis } from './redis'

/** The master group name the sentinels watch. */
export const SENTINEL_NAME = 'mymaster'

/** The password the sentinels require (`requirepass` in their configuration). */
export const SENTINEL_PASSWORD = 'sentinel-password-0123456789'

/** A primary, one replica and three sentinels on 127.0.0.1, started by a test. */
export interface RedisSentinelSetup {
  /** The two data nodes; which one is primary changes with failovers (see {@link RedisSentinelSetup.primary}). */
  nodes: [RedisProcess, RedisProcess]
  /** `host:port,host:port,host:port` of the sentinels, the form NUXT_STOREFRONT_STORAGE_SESSION_SENTINELS takes. */
  sentinelList: string
  /** The data node the sentinels name as primary now. */
  primary: () => Promise<RedisProcess>
  /** Sends a command to the first sentinel. */
  sentinel: (...args: (string | number)[]) => Promise<unknown>
  /** The last lines each sentinel logged (its role changes and failovers), for a failing test's message. */
  log: () => string
  /** Resolves once every sentinel knows the replica and the other sentinels, and the replica is in sync. */
  settled: () => Promise<void>
  dispose: () => Promise<void>
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < end) {
    try {
      const value = await probe()
      if (value) return value
    }
    catch (error) {
      last = error
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
}

/**
 * Asks a node for its replication state.
 * @param port the node's port
 * @returns INFO replication as key/value pairs
 */
export async function replicationOf(port: number): Promise<Record<string, string>> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true })
  client.on('error', () => {})
  try {
    await client.connect()
    const info = await client.info('replication')
    return Object.fromEntries(info.split('\r\n').filter(line => line.includes(':')).map(line => line.split(':', 2) as [string, string]))
  }
  finally {
    client.disconnect()
  }
}

/**
 * Whether a replica confirms a write on the primary within a second (`WAIT 1 1000` after writing a probe key of the
 * test's own Redis).
 * @param port the primary's port
 * @returns true when one replica confirmed it
 */
async function replicaConfirms(port: number): Promise<boolean> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.set('sentinel-test:settled', String(Date.now()))
    return Number(await client.call('WAIT', '1', '1000')) >= 1
  }
  catch {
    return false
  }
  finally {
    client.disconnect()
  }
}

/**
 * Starts a primary, a replica of it and three sentinels (quorum 2, a node is down after 1 s without an answer).
 * @param options extra redis-server arguments for the data nodes
 * @param options.args the arguments
 * @returns the running set-up, settled
 */
export async function startRedisSentinel(options: { args?: string[] } = {}): Promise<RedisSentinelSetup> {
  const fast = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', ...(options.args ?? [])]
  const first = await startRedis({ args: fast })
  const second = await startRedis({ args: [...fast, '--replicaof', '127.0.0.1', String(first.port)] })
  const nodes: [RedisProcess, RedisProcess] = [first, second]
  const dir = mkdtempSync(join(tmpdir(), 'storefront-sentinel-'))
  const sentinels: { port: number, child: ChildProcess, output: { text: string } }[] = []
  for (let i = 0; i < 3; i++) {
    const port = await freePort()
    const file = join(dir, `sentinel-${i}.conf`)
    writeFileSync(file, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `requirepass ${SENTINEL_PASSWORD}`,
      `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${first.port} 2`,
      `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
      `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
      `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
      '',
    ].join('\n'))
    const child = spawn('redis-server', [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const output = { text: '' }
    keepTail(child.stdout!, output)
    child.stderr!.resume()
    sentinels.push({ port, child, output })
  }
  const sentinelClient = new Redis({ host: '127.0.0.1', port: sentinels[0]!.port, password: SENTINEL_PASSWORD, maxRetriesPerRequest: 1 })
  sentinelClient.on('error', () => {})

  const setup: RedisSentinelSetup = {
    nodes,
    sentinelList: sentinels.map(sentinel => `127.0.0.1:${sentinel.port}`).join(','),
    async primary() {
      const [, port] = await sentinelClient.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME) as [string, string]
      return nodes.find(node => node.port === Number(port))!
    },
    sentinel: (...args) => sentinelClient.call('SENTINEL', ...args.map(String)),
    log: () => sentinels.map(({ port, output }) => `sentinel ${port}:\n${output.text}`).join('\n'),
    async settled() {
      await until('sentinels that know the replica and each other', async () => {
        const primary = await setup.primary()
        for (const { port } of sentinels) {
          const client = new Redis({ host: '127.0.0.1', port, password: SENTINEL_PASSWORD, maxRetriesPerRequest: 0, retryStrategy: () => null })
          client.on('error', () => {})
          try {
            const replicas = await client.call('SENTINEL', 'REPLICAS', SENTINEL_NAME) as string[][]
            const peers = await client.call('SENTINEL', 'SENTINELS', SENTINEL_NAME) as unknown[]
            const field = (fields: string[], name: string) => fields[fields.indexOf(name) + 1]
            if (replicas.length !== 1 || field(replicas[0]!, 'flags') !== 'slave' || peers.length !== 2) return false
            // The role the sentinel last read from the replica (INFO, every 10 s for a replica) must be replica of
            // the primary too: a sentinel that still has it as a primary (a node a failover demoted, before its
            // next INFO) turns it back into a replica as soon as the next failover promotes it, and that failover
            // never completes.
            if (field(replicas[0]!, 'role-reported') !== 'slave' || Number(field(replicas[0]!, 'master-port')) !== primary.port) return false
            // Every sentinel names the same primary: a server started next asks any of them, and one that still
            // names the node a failover demoted sends its writes to a replica.
            const [, master] = await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME) as [string, string]
            if (Number(master) !== primary.port) return false
          }
          finally {
            client.disconnect()
          }
        }
        const replica = nodes.find(node => node !== primary)!
        const state = await replicationOf(replica.port)
        if (state.master_link_status !== 'up' || Number(state.master_port) !== primary.port) return false
        // The replica's side says the link is up before the primary counts it online for WAIT: a durable write
        // made in between waits in vain. Settled once a WAIT on the primary is confirmed by the replica.
        return await replicaConfirms(primary.port)
      }, 60_000)
    },
    async dispose() {
      sentinelClient.disconnect()
      await Promise.all(sentinels.map(({ child }) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })))
      await Promise.all(nodes.map(node => node.dispose()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await setup.settled()
  return setup
}

export { until }
