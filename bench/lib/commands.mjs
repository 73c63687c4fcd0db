import { createShopper } from './http.mjs'
import { ALICE_LOGIN } from './payload.mjs'
// The test suite's round-trip counting proxy (Node runs the .ts file directly).
import { startRoundTripProxy } from '../../test/helpers/redis-proxy.ts'
import { countSessionReads } from './session-reads.mjs'
import { startPlayground } from './variants.mjs'

const BOB_LOGIN = { email: 'bob@example.com', password: 'bob-secret-1' }

/** Commands the counting client itself sends (INFO, CONFIG) and connection set-up. */
const OWN = new Set(['info', 'config', 'config|resetstat', 'client', 'client|setname', 'client|info', 'select', 'hello', 'ping', 'slowlog', 'slowlog|reset', 'slowlog|get'])
const READS = new Set(['get', 'mget', 'hget', 'hmget', 'hgetall', 'hexists', 'hlen', 'exists', 'zrank', 'zrange', 'zrangebyscore', 'zcard', 'zscore', 'pttl', 'ttl', 'scard', 'smembers', 'strlen', 'type'])
const WRITES = new Set(['set', 'setex', 'psetex', 'hset', 'hsetnx', 'hdel', 'hincrby', 'del', 'unlink', 'expire', 'pexpire', 'zadd', 'zrem', 'zremrangebyscore', 'sadd', 'srem', 'rename'])
const SCRIPTS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall'])
const SCANS = new Set(['scan', 'keys', 'sscan', 'zscan', 'hscan'])

/**
 * @typedef {object} CommandMeasure
 * @property {string} label the request type
 * @property {number} status HTTP status of the measured request
 * @property {number} roundTrips counted by the TCP proxy; a pipeline or a script is one
 * @property {number} commands every command Redis ran for it, those inside scripts included
 * @property {number} scripts script calls (EVALSHA/EVAL)
 * @property {number} reads read commands (inside scripts included)
 * @property {number} writes write commands (inside scripts included)
 * @property {number} scans SCAN/KEYS and friends
 * @property {Record<string, number>} byCommand calls per Redis command
 * @property {number} redisUs time Redis spent running the commands (INFO commandstats usec), scripts included
 * @property {number} [sessionReads] reads of the session record (the SSR row, from MONITOR)
 * @property {string} [check] what the response had to show, when it did not
 */

/**
 * Counts what each kind of request costs the module on Redis, against the built playground: round trips through a
 * counting TCP proxy between the server and redis-server, commands from `INFO commandstats` (commands run by scripts
 * included). Every scenario runs once unmeasured first (with another user), so that loading the scripts into Redis
 * (EVALSHA, NOSCRIPT, EVAL) is not counted.
 * @param {object} options
 * @param {import('./redis.mjs').BenchRedis} options.redis a Redis the caller may flush
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<CommandMeasure[]>} one entry per request type
 */
export async function measureCommands({ redis, log = () => {} }) {
  const admin = redis.client()
  await admin.flushall()
  await admin.config('SET', 'slowlog-log-slower-than', '0')
  await admin.config('SET', 'slowlog-max-len', '1024')
  const proxy = await startRoundTripProxy(redis.port)
  const server = await startPlayground({ redisUrl: proxy.url })
  const shopper = () => createShopper(server.url)
  /** @type {CommandMeasure[]} */
  const results = []

  async function measure(label, run, check = () => undefined) {
    const before = await redis.commandTimes()
    await admin.slowlog('RESET')
    proxy.reset()
    const response = await run()
    const roundTrips = proxy.roundTrips()
    const after = await redis.commandTimes()
    const byCommand = {}
    for (const [command, { calls }] of Object.entries(after)) {
      const delta = calls - (before[command]?.calls ?? 0)
      if (delta > 0 && !OWN.has(command)) byCommand[command] = delta
    }
    // The slow log (threshold 0) holds every top-level command with its run time: a script once, its commands inside it.
    const redisUs = (await admin.slowlog('GET', 1024)).filter(([, , , [name]]) => !OWN.has(String(name).toLowerCase()) && String(name).toLowerCase() !== 'slowlog').reduce((sum, [, , us]) => sum + Number(us), 0)
    const sum = set => Object.entries(byCommand).reduce((total, [command, calls]) => total + (set.has(command) ? calls : 0), 0)
    const problem = response.status === 200 ? check(response.body) : `HTTP ${response.status}: ${response.text.slice(0, 200)}`
    const result = {
      label,
      status: response.status,
      roundTrips,
      commands: Object.values(byCommand).reduce((a, b) => a + b, 0),
      scripts: sum(SCRIPTS),
      reads: sum(READS),
      writes: sum(WRITES),
      scans: sum(SCANS),
      byCommand,
      redisUs,
      ...(problem ? { check: problem } : {}),
    }
    results.push(result)
    log(`  ${label}: ${roundTrips} round trips, ${result.commands} commands (${Object.entries(byCommand).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'})${problem ? `; UNEXPECTED: ${problem}` : ''}`)
    return result
  }

  async function loggedIn(login) {
    const s = shopper()
    const response = await s.rpc('login', login)
    if (response.status !== 200) throw new Error(`login answered ${response.status} ${response.text.slice(0, 200)}`)
    return s
  }
  async function guestWithLines(lines, items = 0, jar = shopper(), variant = 1) {
    for (let product = 1; product <= lines; product++) {
      const response = await jar.rpc('addItemToBasket', { variantId: product * 100 + variant, quantity: product % 9 + 1 })
      if (response.status !== 200) throw new Error(`addItemToBasket answered ${response.status} ${response.text.slice(0, 200)}`)
    }
    for (let product = 1; product <= items; product++) {
      const response = await jar.rpc('addItemToWishlist', { productId: product })
      if (response.status !== 200) throw new Error(`addItemToWishlist answered ${response.status} ${response.text.slice(0, 200)}`)
    }
    return jar
  }
  // A user whose basket holds exactly `lines` lines of its own (the catalog's second variants, which no guest adds).
  async function userWithLines(login, lines) {
    const user = await loggedIn(login)
    for (const line of (await user.rpc('getBasket')).body.items) await user.rpc('removeItemFromBasket', { variantId: line.variantId })
    await guestWithLines(lines, 0, user, 2)
    return user
  }
  async function sessionsOf(login, count) {
    const first = await loggedIn(login)
    await first.rpc('logoutOtherDevices')
    const jars = [first]
    for (let i = 1; i < count; i++) jars.push(await loggedIn(login))
    return jars
  }

  try {
    // Unmeasured pass: loads every script into Redis and warms the server.
    await shopper().get('/')
    const warmGuest = await guestWithLines(5)
    await warmGuest.rpc('getBasket')
    await warmGuest.rpc('login', BOB_LOGIN)
    await warmGuest.rpc('getUser')
    await warmGuest.rpc('logout')
    const warmJars = await sessionsOf(BOB_LOGIN, 2)
    await warmJars[0].rpc('logoutOtherDevices')

    await measure('anonymous page (GET /, no cookie)', () => shopper().get('/'))
    const guest = await guestWithLines(1)
    await measure('guest read (getBasket)', () => guest.rpc('getBasket'), body => (body?.items?.length === 1 ? undefined : 'expected 1 basket line'))
    await measure('guest write (addItemToBasket)', () => guest.rpc('addItemToBasket', { variantId: 201, quantity: 1 }), body => (body?.items?.length === 2 ? undefined : 'expected 2 basket lines'))
    const alice = await loggedIn(ALICE_LOGIN)
    await alice.rpc('getUser')
    await measure('logged-in read (getUser)', () => alice.rpc('getUser'), body => (body?.user?.id === 'u1' ? undefined : 'expected user u1'))
    // A full SSR render of a logged-in page whose header shows basket and wishlist counts: the module's plugin loads
    // user, basket and wishlist in-process with the page's session (one session read; the two lists in one round trip).
    await alice.rpc('addItemToBasket', { variantId: 4902, quantity: 2 })
    await alice.rpc('addItemToWishlist', { productId: 4 })
    await alice.get('/wishlist')
    await measure('SSR of a logged-in page with basket and wishlist counts (GET /wishlist)', () => alice.get('/wishlist'), body => (
      /data-test="basket-count"[^>]*>2</.test(body ?? '') && /data-test="wishlist-count"[^>]*>1</.test(body ?? '') ? undefined : 'expected basket count 2 and wishlist count 1 in the page'))
    results.at(-1).sessionReads = await countSessionReads(redis, () => alice.get('/wishlist'))
    const basket = await guestWithLines(5)
    await measure('login with a 5-line guest basket', () => basket.rpc('login', ALICE_LOGIN), body => (body?.merge?.linesAdded === 5 ? undefined : 'expected 5 merged lines'))
    await userWithLines(ALICE_LOGIN, 50)
    const big = await guestWithLines(50, 20)
    await measure('login with a 50-line basket and 20 wishlist items into a user with 50 lines', () => big.rpc('login', ALICE_LOGIN), body => (
      body?.merge?.linesAdded === 50 && body.merge.wishlistAdded >= 0 ? undefined : `expected 50 merged lines, got ${JSON.stringify(body?.merge)}`))
    await measure('logout', () => alice.rpc('logout'), body => (body?.user === null ? undefined : 'expected user null'))
    const jars = await sessionsOf(ALICE_LOGIN, 11)
    await measure('destroySessionsForUserId, 10 sessions (logoutOtherDevices)', () => jars[0].rpc('logoutOtherDevices'), body => (body?.destroyed === 10 ? undefined : `expected 10 destroyed, got ${body?.destroyed}`))
    return results
  }
  finally {
    await admin.config('SET', 'slowlog-log-slower-than', '10000').catch(() => {})
    admin.disconnect()
    await server.stop()
    await proxy.close()
  }
}
