import { createServer, connect } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { Redis } from 'ioredis'
import type { RedisOptions } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { durableWrites, ReplicaConfirmationError } from '../../src/runtime/server/store/redis-durable'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'

// Durable writes on real redis-server processes. WAIT counts only what its own connection wrote, and ioredis sends an
// unanswered WAIT again after a reconnect: on the new connection it covers nothing, and a primary with a replica
// confirms it at once. A failover between a write and its WAIT's answer once acknowledged writes that were lost.

/** A TCP proxy whose target can change; `cut()` ends every connection through it, as a failover does. */
async function startSwitchProxy(targetPort: number) {
  let target = targetPort
  const sockets = new Set<Socket>()
  const server: Server = createServer((downstream) => {
    const upstream = connect(target, '127.0.0.1')
    for (const socket of [downstream, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    downstream.pipe(upstream)
    upstream.pipe(downstream)
    downstream.on('close', () => upstream.destroy())
    upstream.on('close', () => downstream.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    switchTo(port: number) {
      target = port
    },
    cut() {
      for (const socket of sockets) socket.destroy()
    },
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs
  while (!await condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

async function infoField(redis: RedisProcess, section: string, field: string): Promise<string | undefined> {
  const client = redis.client()
  try {
    return new RegExp(`^${field}:(.*)$`, 'm').exec(await client.info(section))?.[1]?.trim()
  }
  finally {
    client.disconnect()
  }
}

describe('durable writes (WAIT) across a reconnect', () => {
  // `lone` has no replica: a WAIT there blocks until its timeout. `primary` has one.
  let lone: RedisProcess
  let primary: RedisProcess
  let replica: RedisProcess

  beforeAll(async () => {
    lone = await startRedis()
    primary = await startRedis()
    replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] })
    await until(async () => (await infoField(primary, 'replication', 'slave0'))?.includes('state=online') === true)
  })

  afterAll(async () => {
    await Promise.all([lone, primary, replica].map(redis => redis?.dispose()))
  })

  it('confirms a write its replicas hold, and refuses one none confirms in time', async () => {
    const client = new Redis({ host: '127.0.0.1', port: primary.port, maxRetriesPerRequest: 1 })
    const alone = new Redis({ host: '127.0.0.1', port: lone.port, maxRetriesPerRequest: 1 })
    try {
      const confirm = durableWrites(client, 1, 1000)!
      await client.set('durable:a', '1')
      await expect(confirm()).resolves.toBeUndefined()
      const unconfirmed = durableWrites(alone, 1, 100)!
      await alone.set('durable:b', '1')
      await expect(unconfirmed()).rejects.toBeInstanceOf(ReplicaConfirmationError)
    }
    finally {
      client.disconnect()
      alone.disconnect()
    }
  })

  // The module's own client options (store/drivers.ts) resend nothing after a reconnect; a storage option may turn
  // ioredis' resend back on.
  const CLIENTS: Record<string, RedisOptions> = {
    'the module\'s fail-fast options': { enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 },
    'ioredis\' resend of unanswered commands': { maxRetriesPerRequest: 5 },
  }

  it.each(Object.entries(CLIENTS))('refuses a write whose WAIT was answered on another connection than the write\'s (%s)', async (_name, options) => {
    const proxy = await startSwitchProxy(lone.port)
    const client = new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 20, ...options })
    try {
      const confirm = durableWrites(client, 1, 5000)!
      await until(async () => client.status === 'ready')
      // The write lands on a primary whose replica never gets it (it has none)...
      await client.set('durable:lost', '1')
      const confirmed = confirm()
      const outcome = confirmed.then(() => 'confirmed', (error: unknown) => error)
      await until(async () => Number(await infoField(lone, 'clients', 'blocked_clients')) >= 1)
      // ...and the connection fails over to another primary, which has a replica, while the WAIT waits.
      proxy.switchTo(primary.port)
      proxy.cut()
      const result = await outcome
      expect(result).toBeInstanceOf(Error)
      if (options.autoResendUnfulfilledCommands === false) {
        // The WAIT fails with its connection.
        expect(result).not.toBeInstanceOf(ReplicaConfirmationError)
      }
      else {
        expect(result).toBeInstanceOf(ReplicaConfirmationError)
        expect(String((result as Error).message)).toMatch(/connection to the primary closed/)
      }
      // The write is nowhere a replica holds it: acknowledging it would have lost it.
      await until(async () => client.status === 'ready')
      expect(await client.get('durable:lost')).toBeNull()
      // A write on the new connection is confirmed as usual.
      await client.set('durable:kept', '1')
      await expect(confirm()).resolves.toBeUndefined()
    }
    finally {
      client.disconnect()
      await proxy.close()
    }
  })
})
