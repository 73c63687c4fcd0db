import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster, Redis } from 'ioredis'
import type { RedisProcess } from './redis'
import { startRedis } from './redis'

/** A Redis Cluster of masters on 127.0.0.1, started by a test. */
export interface RedisClusterProcess {
  nodes: RedisProcess[]
  /** `host:port,host:port,…`, the form NUXT_STOREFRONT_STORAGE_SESSION_CLUSTER takes. */
  nodeList: string
  client: () => Cluster
  /** Sum of INFO commandstats over every node. */
  commandStats: () => Promise<Record<string, number>>
  dispose: () => Promise<void>
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

// A cluster node also listens on port + 10000 (the cluster bus): both must be free.
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 25000)
    if (!taken.has(port) && await isFree(port) && await isFree(port + 10000)) {
      taken.add(port)
      return port
    }
  }
  throw new Error('no free pair of ports for a cluster node')
}

/**
 * Starts `size` redis-server processes with cluster mode on, joins them with `redis-cli --cluster create` (no
 * replicas), and waits until every node reports `cluster_state:ok`.
 * @param size number of masters
 * @returns the cluster
 */
export async function startRedisCluster(size = 3): Promise<RedisClusterProcess> {
  const taken = new Set<number>()
  const nodes: RedisProcess[] = []
  const dir = mkdtempSync(join(tmpdir(), 'storefront-cluster-'))
  for (let i = 0; i < size; i++) {
    const port = await clusterPort(taken)
    nodes.push(await startRedis({ port, args: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000'] }))
  }
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map(n => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' })
  if (create.status !== 0) {
    throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`)
  }
  const deadline = Date.now() + 30_000
  for (const node of nodes) {
    const redis = new Redis({ host: '127.0.0.1', port: node.port })
    try {
      while (!(await redis.cluster('INFO') as string).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`cluster node ${node.port} not ready`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
    finally {
      redis.disconnect()
    }
  }
  const nodeList = nodes.map(n => `127.0.0.1:${n.port}`).join(',')
  return {
    nodes,
    nodeList,
    client: () => new Cluster(nodes.map(n => ({ host: '127.0.0.1', port: n.port }))),
    async commandStats() {
      const total: Record<string, number> = {}
      for (const node of nodes) {
        for (const [command, calls] of Object.entries(await node.commandStats())) total[command] = (total[command] ?? 0) + calls
      }
      return total
    },
    async dispose() {
      await Promise.all(nodes.map(n => n.dispose()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
