import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort, startProcess } from './process.mjs'

/**
 * @typedef {object} BenchRedis
 * @property {number} port its loopback port
 * @property {string} url `redis://127.0.0.1:<port>`
 * @property {() => Redis} client a fresh client (the caller disconnects it)
 * @property {() => Promise<Record<string, number>>} commandStats `INFO commandstats` as { command: calls }
 * @property {() => Promise<Record<string, { calls: number, usec: number }>>} commandTimes `INFO commandstats` with the time spent
 * @property {() => Promise<string>} version the server's version
 * @property {() => Promise<void>} stop stops the server and removes its data directory
 */

/**
 * Starts a redis-server of the bench's own on a free loopback port: no persistence, no RDB snapshots.
 * @param {{ cpu?: string, args?: string[] }} [options] `cpu` pins it with taskset; `args` go to redis-server
 * @returns {Promise<BenchRedis>} the running server
 */
export async function startRedis(options = {}) {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'storefront-bench-redis-'))
  const child = await startProcess({
    name: 'redis-server',
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice', ...(options.args ?? [])],
    cpu: options.cpu,
    ready: /ready to accept connections/i,
  }).catch((error) => {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`could not start redis-server (is it installed and on PATH?): ${error.message}`)
  })
  const client = () => new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 })
  async function commandTimes() {
    const redis = client()
    try {
      const stats = {}
      for (const line of (await redis.info('commandstats')).split('\n')) {
        const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim())
        if (match) stats[match[1]] = { calls: Number(match[2]), usec: Number(match[3]) }
      }
      return stats
    }
    finally {
      redis.disconnect()
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    async commandStats() {
      return Object.fromEntries(Object.entries(await commandTimes()).map(([command, { calls }]) => [command, calls]))
    },
    commandTimes,
    async version() {
      const redis = client()
      try {
        return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown'
      }
      finally {
        redis.disconnect()
      }
    },
    async stop() {
      await child.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
