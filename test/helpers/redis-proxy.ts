import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'

/**
 * A TCP proxy between a server under test and redis-server, on 127.0.0.1, that counts round trips: each time a client
 * starts sending after the last thing on its connection went the other way. A pipeline or a script is one round trip.
 */
export interface RoundTripProxy {
  port: number
  url: string
  /** Round trips since the last reset. */
  roundTrips: () => number
  reset: () => void
  close: () => Promise<void>
}

/**
 * Starts the proxy in front of a Redis port.
 * @param targetPort the redis-server port
 * @returns the proxy
 */
export async function startRoundTripProxy(targetPort: number): Promise<RoundTripProxy> {
  let count = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    let lastWasRequest = false
    client.on('data', (chunk) => {
      if (!lastWasRequest) count++
      lastWasRequest = true
      upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      lastWasRequest = false
      client.write(chunk)
    })
    const close = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    roundTrips: () => count,
    reset: () => {
      count = 0
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}

/**
 * A TCP endpoint that leads to one redis-server and can be switched to another, the way a managed Redis moves its
 * primary endpoint on failover: new connections go to the new target, connections made before stay where they are.
 */
export interface SwitchableEndpoint {
  port: number
  url: string
  /** Sends new connections to another port; existing ones are kept. */
  switchTo: (targetPort: number) => void
  close: () => Promise<void>
}

/**
 * Starts a switchable endpoint on 127.0.0.1.
 * @param targetPort where connections lead first
 * @returns the endpoint
 */
export async function startSwitchableEndpoint(targetPort: number): Promise<SwitchableEndpoint> {
  let target = targetPort
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    const close = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    switchTo: (next) => {
      target = next
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}
