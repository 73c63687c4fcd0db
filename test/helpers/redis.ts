import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Keeps the last 32 KB a process writes, for a failing test's message.
 * @param stream its output
 * @param into the kept text, appended to
 * @param into.text the text
 */
export function keepTail(stream: NodeJS.ReadableStream, into: { text: string }): void {
  stream.on('data', (chunk: Buffer) => {
    into.text = (into.text + chunk.toString()).slice(-32_768)
  })
}

/** A redis-server process owned by a test, on 127.0.0.1 and a port of its own. */
export interface RedisProcess {
  port: number
  url: string
  dir: string
  /**
   * Starts the server again after stop() (or a kill), on the same port and data directory; `replicaOf` starts it as a
   * replica of that port instead of with the `--replicaof` it was first started with, if any.
   */
  start: (options?: { replicaOf?: number }) => Promise<void>
  /** Stops the server (SHUTDOWN, so AOF is flushed when enabled); resolves once the process has exited. */
  stop: () => Promise<void>
  /** Stops the server and removes its data directory. */
  dispose: () => Promise<void>
  /** A fresh client (the caller disconnects it). */
  client: () => Redis
  /** `INFO commandstats` as { command: calls }. */
  commandStats: () => Promise<Record<string, number>>
  /** Resets the command statistics. */
  resetStats: () => Promise<void>
  /** The last lines the server logged, over its restarts: for a failing test's message. */
  log: () => string
}

/**
 * Starts a redis-server on a free loopback port and resolves once it accepts connections.
 * @param options how to start it
 * @param options.appendonly turns AOF on (for restart tests)
 * @param options.args extra arguments for redis-server
 * @param options.port the port (a free one when left out)
 * @returns the running server
 */
export async function startRedis(options: { appendonly?: boolean, args?: string[], port?: number } = {}): Promise<RedisProcess> {
  const port = options.port ?? await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'storefront-redis-'))
  let child: ChildProcess | undefined
  const logged = { text: '' }
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendonly ? 'yes' : 'no', '--appendfsync', 'always',
    '--daemonize', 'no', '--loglevel', 'notice', ...(options.args ?? []),
  ]

  async function start(options: { replicaOf?: number } = {}) {
    const replicaOf = options.replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(options.replicaOf)]
    const given = args.indexOf('--replicaof')
    const startArgs = replicaOf.length === 0 ? args : [...(given === -1 ? args : [...args.slice(0, given), ...args.slice(given + 3)]), ...replicaOf]
    const proc = spawn('redis-server', startArgs, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    keepTail(proc.stdout!, logged)
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) {
          proc.stdout!.off('data', onData)
          resolve()
        }
      }
      proc.stdout!.on('data', onData)
      proc.stderr!.resume()
      proc.once('exit', code => reject(new Error(`redis-server exited with ${code}: ${output.slice(-2000)}`)))
      proc.once('error', reject)
    })
  }

  async function stop() {
    const proc = child
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
    proc.kill('SIGTERM')
    await exited
    child = undefined
  }

  const server: RedisProcess = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    start,
    stop,
    async dispose() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
    client: () => new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1 }),
    async commandStats() {
      const redis = server.client()
      try {
        const info = await redis.info('commandstats')
        const stats: Record<string, number> = {}
        for (const line of info.split('\n')) {
          const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim())
          if (match) stats[match[1]!] = Number(match[2])
        }
        return stats
      }
      finally {
        redis.disconnect()
      }
    },
    log: () => logged.text,
    async resetStats() {
      const redis = server.client()
      try {
        await redis.config('RESETSTAT')
      }
      finally {
        redis.disconnect()
      }
    },
  }
  await start()
  return server
}
