import { createServer } from 'node:http'
import { toNodeListener } from 'h3'

/**
 * Serves an h3 app (or a Node request listener) on 127.0.0.1:$PORT, prints `listening` once ready, and exits cleanly
 * on SIGTERM, so that `--cpu-prof` gets to write its profile.
 * @param {import('h3').App | import('node:http').RequestListener} app the app
 * @param {() => Promise<unknown> | void} [close] releases the app's connections
 */
export function listen(app, close) {
  const listener = typeof app === 'function' ? app : toNodeListener(app)
  const server = createServer(listener)
  server.keepAliveTimeout = 60_000
  server.listen(Number(process.env.PORT), '127.0.0.1', () => {
    console.log(`listening on ${process.env.PORT}`)
  })
  process.once('SIGTERM', () => {
    server.closeAllConnections()
    server.close()
    Promise.resolve(close?.()).catch(() => {}).finally(() => process.exit(0))
  })
}
