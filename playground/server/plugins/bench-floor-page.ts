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
  nitroApp.hooks.hook('request', async (event) => {
    const id = getCookie(event, 'bench-floor')
    if (!id || event.path.startsWith('/bench/')) return
    const value = await client.get(`bench:floor:page:${id}`)
    if (value !== null) event.context.benchShopper = JSON.parse(value)
  })
  nitroApp.hooks.hook('close', () => {
    client.disconnect()
  })
})
