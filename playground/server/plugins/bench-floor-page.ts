import { Redis } from 'ioredis'

// The raw floor of the bench's server-rendered page (bench/README.md, "A server-rendered page with a session"): a
// request carrying a `bench-floor` cookie gets the shopper's user, basket and wishlist from one raw ioredis GET here,
// and app/plugins/bench-floor.server.ts puts them into the page's state, so the same page renders the same data
// without the module's session. Nothing is registered unless the server was started with STOREFRONT_BENCH_FLOOR=1
// and REDIS_URL (the bench sets both), so a deployed playground does not have it.
export default defineNitroPlugin((nitroApp) => {
  const url = process.env.REDIS_URL
  if (process.env.STOREFRONT_BENCH_FLOOR !== '1' || !url) return
  const client = new Redis(url, { enableAutoPipelining: true })
  // Not async, and the cookie header parsed only when it names the bench's cookie: every other request the bench
  // measures (the RPC calls of variant 5 above all) passes through here too, and should pay nothing for it.
  nitroApp.hooks.hook('request', (event) => {
    if (event.method !== 'GET' || event.path.startsWith('/bench/') || !event.node.req.headers.cookie?.includes('bench-floor=')) return
    const id = getCookie(event, 'bench-floor')
    if (!id) return
    return client.get(`bench:floor:page:${id}`).then((value) => {
      if (value !== null) event.context.benchShopper = JSON.parse(value)
    })
  })
  nitroApp.hooks.hook('close', () => {
    client.disconnect()
  })
})
