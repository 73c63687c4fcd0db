import { randomUUID } from 'node:crypto'
import { createShopper, request } from './http.mjs'
import { ALICE_LOGIN, USER } from './payload.mjs'
// The test suite's round-trip counting proxy (Node runs the .ts file directly).
import { startRoundTripProxy } from '../../test/helpers/redis-proxy.ts'
import { countSessionReads } from './session-reads.mjs'
import { median } from './stats.mjs'
import { runLoad } from './throughput.mjs'
import { startPlayground } from './variants.mjs'

/** The product page every variant renders. */
export const PRODUCT_PAGE = '/p/1'

/** @type {{ id: string, label: string }[]} The three renders of the product page, in table order. */
export const SSR_VARIANTS = [
  { id: 'logged-in', label: 'logged-in shopper (session: user, basket, wishlist)' },
  { id: 'anonymous', label: 'anonymous visitor (no cookie)' },
  { id: 'raw', label: 'same data from one raw ioredis GET in a Nitro plugin' },
]

/**
 * What a browser's navigation to the page sends (Chromium's Accept). The module's page middleware loads the session
 * of a request that asks for HTML before the render starts; without it the session is first read from inside the
 * render, which is not what a shopper's browser gets.
 */
export const NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7' }

const OWN = new Set(['info', 'config', 'config|resetstat', 'client', 'client|setname', 'client|info', 'select', 'hello', 'ping'])

/**
 * What each render must show: the shopper's name, basket units and wishlist count in the header, and the product's
 * wishlist heart pressed; the anonymous render a sign-in link, zero counts and the heart not pressed.
 * @param {string} id the variant
 * @param {string} html the page
 * @returns {string | undefined} what is wrong, or undefined
 */
export function checkPage(id, html) {
  const shopper = id !== 'anonymous'
  const expected = {
    'name': shopper ? new RegExp(`data-test="account-link"[^>]*>\\s*${USER.firstName}\\s*<`) : /data-test="login-link"/,
    'basket count': shopper ? /data-test="basket-count"[^>]*>3</ : /data-test="basket-count"[^>]*>0</,
    'wishlist count': shopper ? /data-test="wishlist-count"[^>]*>1</ : /data-test="wishlist-count"[^>]*>0</,
    'wishlist heart': new RegExp(`aria-pressed="${shopper}"`),
  }
  const wrong = Object.entries(expected).filter(([, pattern]) => !pattern.test(html)).map(([what]) => what)
  return wrong.length > 0 ? `${id} page: unexpected ${wrong.join(', ')}` : undefined
}

/**
 * Logs Alice in with a 2-line basket (3 units) and product 1 on her wishlist, and stores the same user, basket and
 * wishlist for the raw floor under `bench:floor:page:<id>`. Empties the store first.
 * @param {string} url the playground
 * @param {import('ioredis').Redis} client a client of the playground's Redis
 * @returns {Promise<Record<string, import('./variants.mjs').LoadRequest>>} the request of each variant
 */
async function prepare(url, client) {
  // Alice's basket and wishlist outlive her sessions: start from an empty store.
  await client.flushall()
  const alice = createShopper(url)
  const login = await alice.rpc('login', ALICE_LOGIN)
  if (login.status !== 200) throw new Error(`login answered ${login.status} ${login.text.slice(0, 200)}`)
  await alice.rpc('getUser')
  for (const [rpc, payload] of [['addItemToBasket', { variantId: 101, quantity: 2 }], ['addItemToBasket', { variantId: 4902, quantity: 1 }], ['addItemToWishlist', { productId: 1 }]]) {
    const response = await alice.rpc(rpc, payload)
    if (response.status !== 200) throw new Error(`${rpc} answered ${response.status} ${response.text.slice(0, 200)}`)
  }
  const [user, basket, wishlist] = await Promise.all(['getUser', 'getBasket', 'getWishlist'].map(rpc => alice.rpc(rpc)))
  const id = randomUUID()
  await client.set(`bench:floor:page:${id}`, JSON.stringify({ shopId: '1001', user: user.body.user, basket: basket.body.items, wishlist: wishlist.body.items }), 'EX', 86400)
  const page = `${url}${PRODUCT_PAGE}`
  return {
    'logged-in': { url: page, method: 'GET', headers: { ...NAVIGATION, cookie: alice.jar.header() } },
    'anonymous': { url: page, method: 'GET', headers: { ...NAVIGATION } },
    'raw': { url: page, method: 'GET', headers: { ...NAVIGATION, cookie: `bench-floor=${id}` } },
  }
}

/**
 * One render of the product page as a side of the paired measure (pair.mjs): the first side of a block makes the
 * shopper (emptying the store) and keeps every render's request in `state`; the other side sends the same request,
 * cookie and all, to its own server on the same Redis.
 * @param {string} id the render: `logged-in` or `raw`
 * @param {{ url: string }} server the side's playground
 * @param {import('./redis.mjs').BenchRedis} redis
 * @param {{ requests?: Record<string, import('./variants.mjs').LoadRequest> }} state shared by the block's two sides
 * @returns {Promise<{ request: import('./variants.mjs').LoadRequest, verify: () => Promise<void> }>} the side, checked
 */
export async function preparePairPage(id, server, redis, state) {
  if (!state.requests) {
    const client = redis.client()
    try {
      state.requests = await prepare(server.url, client)
    }
    finally {
      client.disconnect()
    }
  }
  const load = { ...state.requests[id], url: `${server.url}${PRODUCT_PAGE}` }
  await verify(id, load)
  return { request: load, verify: () => verify(id, load) }
}

async function verify(id, load) {
  const response = await request(load.url, load)
  const problem = response.status === 200 ? checkPage(id, response.text) : `${id} page answered ${response.status}`
  if (problem) throw new Error(problem)
  if (response.setCookies.length > 0) throw new Error(`${id} page set a cookie: ${response.setCookies.join('; ')}`)
}

/**
 * Store commands and round trips of one render of each variant, through the counting proxy (after one unmeasured
 * render each, so that nothing is loaded or connected for the first time while counted).
 * @param {import('./redis.mjs').BenchRedis} redis
 * @returns {Promise<Record<string, { roundTrips: number, commands: number, sessionReads: number, byCommand: Record<string, number> }>>} per variant
 */
async function countCommands(redis) {
  const proxy = await startRoundTripProxy(redis.port)
  const server = await startPlayground({ redisUrl: proxy.url })
  const client = redis.client()
  try {
    const requests = await prepare(server.url, client)
    const counts = {}
    for (const { id } of SSR_VARIANTS) {
      await verify(id, requests[id])
      const before = await redis.commandStats()
      proxy.reset()
      await verify(id, requests[id])
      const roundTrips = proxy.roundTrips()
      const after = await redis.commandStats()
      const byCommand = {}
      for (const [command, calls] of Object.entries(after)) {
        const delta = calls - (before[command] ?? 0)
        if (delta > 0 && !OWN.has(command)) byCommand[command] = delta
      }
      const commands = Object.values(byCommand).reduce((a, b) => a + b, 0)
      // The raw floor's one GET is its own read, not a session read.
      const sessionReads = id === 'raw' ? 0 : await countSessionReads(redis, () => verify(id, requests[id]))
      counts[id] = { roundTrips, commands, sessionReads, byCommand }
    }
    return counts
  }
  finally {
    client.disconnect()
    await server.stop()
    await proxy.close()
  }
}

/**
 * @typedef {object} SsrVariantResult
 * @property {string} id the render
 * @property {string} label its name in the table
 * @property {number} rps median req/s
 * @property {number} p50 median of the rounds' p50 latency, ms
 * @property {number} cpuUsPerRequest median server CPU µs per page
 * @property {number} failed non-2xx, errors and timeouts over all rounds
 * @property {number} roundTrips store round trips of one render
 * @property {number} commands Redis commands of one render
 * @property {number} sessionReads reads of the session record, from MONITOR (the raw floor's GET not counted)
 * @property {Record<string, number>} byCommand calls per Redis command of one render
 * @property {object[]} rounds every load run
 */

/**
 * The playground's product page three ways: for a logged-in shopper (the module loads user, basket and wishlist
 * with the page's session), for an anonymous visitor, and with the same data read by one raw ioredis GET in a Nitro
 * plugin. Each render is checked before and after the load; CPU per page from /proc, rounds with rotating order.
 * The session's cost is the logged-in page's CPU over the raw page's, per round (median).
 * @param {object} options
 * @param {import('./redis.mjs').BenchRedis} options.redis
 * @param {number} options.rounds
 * @param {number} options.duration seconds per variant and round
 * @param {number} options.warmup seconds per variant before the first round
 * @param {number} options.connections
 * @param {string[]} [options.nodeArgs] extra node flags for the playground (profiling)
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<{ page: string, variants: SsrVariantResult[], sessionShare: number, sessionCpuUs: number }>} the figures
 */
export async function measureSsrPage({ redis, rounds, duration, warmup, connections, nodeArgs = [], log = () => {} }) {
  const counts = await countCommands(redis)
  for (const { id } of SSR_VARIANTS) log(`  ${id}: ${counts[id].roundTrips} round trips, ${counts[id].commands} commands (${Object.entries(counts[id].byCommand).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'})`)
  const server = await startPlayground({ redisUrl: redis.url, nodeArgs })
  const client = redis.client()
  try {
    const requests = await prepare(server.url, client)
    const active = SSR_VARIANTS.map(info => ({ info, server, request: requests[info.id] }))
    for (const variant of active) await verify(variant.info.id, variant.request)
    if (warmup > 0) {
      for (const variant of active) await runLoad(variant, { duration: warmup, connections })
    }
    const results = new Map(active.map(variant => [variant.info.id, []]))
    for (let round = 0; round < rounds; round++) {
      const order = active.map((_, i) => active[(i + round) % active.length])
      for (const variant of order) results.get(variant.info.id).push(await runLoad(variant, { duration, connections }))
      log(`  round ${round + 1}/${rounds}: ${active.map(v => `${v.info.id} ${results.get(v.info.id).at(-1).cpuUsPerRequest?.toFixed(0)} µs CPU/page`).join(', ')}`)
    }
    for (const variant of active) await verify(variant.info.id, variant.request)
    const variants = SSR_VARIANTS.map(({ id, label }) => {
      const runs = results.get(id)
      return {
        id,
        label,
        rps: median(runs.map(r => r.rps)),
        p50: median(runs.map(r => r.p50)),
        cpuUsPerRequest: median(runs.map(r => r.cpuUsPerRequest ?? Number.NaN)),
        failed: runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
        ...counts[id],
        rounds: runs,
      }
    })
    const loggedIn = results.get('logged-in')
    const raw = results.get('raw')
    // Per round: (logged-in − raw) / logged-in, the share of the page's CPU that the session costs.
    const shares = loggedIn.map((run, i) => (run.cpuUsPerRequest - raw[i].cpuUsPerRequest) / run.cpuUsPerRequest)
    return {
      page: PRODUCT_PAGE,
      variants,
      sessionShare: median(shares),
      sessionCpuUs: median(loggedIn.map((run, i) => run.cpuUsPerRequest - raw[i].cpuUsPerRequest)),
    }
  }
  finally {
    client.disconnect()
    await server.stop()
  }
}
