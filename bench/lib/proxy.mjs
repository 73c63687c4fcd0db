import { connect, createServer } from 'node:net'

/**
 * @typedef {object} RoundTripProxy
 * @property {number} port where it listens
 * @property {string} url `redis://127.0.0.1:<port>`
 * @property {() => number} roundTrips round trips since the last reset
 * @property {() => void} reset starts counting from 0
 * @property {() => Promise<void>} close closes every connection and the proxy
 */

/**
 * A TCP proxy on 127.0.0.1 in front of redis-server that counts round trips: each time a client starts sending after
 * the last bytes on its connection went the other way. A pipeline or a script is one round trip; commands that
 * different connections send at the same time count once per connection.
 * @param {number} targetPort the redis-server port
 * @returns {Promise<RoundTripProxy>} the proxy
 */
export async function startRoundTripProxy(targetPort) {
  let count = 0
  const sockets = new Set()
  const server = createServer((client) => {
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
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    roundTrips: () => count,
    reset: () => {
      count = 0
    },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}
