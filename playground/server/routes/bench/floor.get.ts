import { Redis } from 'ioredis'

// The framework floor of `npm run bench` (variant 6): one raw Redis GET per request in a plain Nitro route, with no
// session, no signing and no RPC layer. It answers 404 unless the server was started with STOREFRONT_BENCH_FLOOR=1
// and REDIS_URL (the bench sets both), so a deployed playground does not expose it.
let client: Redis | undefined

export default defineEventHandler(async (event) => {
  const url = process.env.REDIS_URL
  if (process.env.STOREFRONT_BENCH_FLOOR !== '1' || !url) {
    throw createError({ status: 404, message: 'not found' })
  }
  client ??= new Redis(url, { enableAutoPipelining: true })
  const value = await client.get(`bench:floor:${getCookie(event, 'bench-floor') ?? ''}`)
  if (value === null) {
    throw createError({ status: 404, message: 'no bench payload for this cookie' })
  }
  setResponseHeader(event, 'content-type', 'application/json')
  return value
})
