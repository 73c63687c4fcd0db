import { performance } from 'node:perf_hooks'
import { createStorage } from 'unstorage'
import { createShopper } from './http.mjs'
import { ENGINE_BUNDLE } from './paths.mjs'
import { ALICE_LOGIN, USER } from './payload.mjs'
import { median, percentile } from './stats.mjs'
import { startPlayground } from './variants.mjs'

const SHOP = '1001'
const TTL_MS = 86_400_000
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'

/**
 * @typedef {object} UserSessionsResult
 * @property {number} sessions sessions the user held when the pages were read
 * @property {number} seedSeconds how long seeding them took (store.create, 64 at a time)
 * @property {number} pageSize sessions on one page
 * @property {{ medianMs: number, p90Ms: number, minMs: number, maxMs: number, samples: number }} page one listSessions RPC call of the first page, end to end
 * @property {{ medianMs: number, p90Ms: number }} storePage the store's listUserSessions from the bench process (no HTTP, no server)
 * @property {{ medianUs: number, maxUs: number, calls: number }} pageScripts the list script's time inside Redis (SLOWLOG)
 * @property {{ destroyed: number, totalMs: number, scripts: number, maxScriptUs: number, medianScriptUs: number, sumScriptUs: number, overTargetScripts: number }} destroy logoutOtherDevices of every other session
 */

/**
 * Slow log entries of scripts since the last reset: their run time in µs (every command is logged).
 * @param {import('ioredis').Redis} client
 * @returns {Promise<number[]>} one duration per script call
 */
async function scriptDurations(client) {
  const entries = await client.call('SLOWLOG', 'GET', '1000000')
  return entries.filter(entry => /^eval/i.test(String(entry[3][0]))).map(entry => Number(entry[2]))
}

async function resetSlowLog(client) {
  await client.config('SET', 'slowlog-log-slower-than', '0')
  await client.config('SET', 'slowlog-max-len', '1000000')
  await client.call('SLOWLOG', 'RESET')
}

/**
 * A user with many sessions on the built playground (Redis): Alice logs in, then `sessions` more sessions of hers are
 * created through the Redis session store of src/ (its own key layout and scripts, no HTTP). Then the first page of
 * `listSessions` is read `repeats` times through the RPC route and timed end to end, with each script's run time from
 * Redis' SLOWLOG (threshold 0); the same page is read through the store from the bench process, to tell the store's
 * share from the server's. Last, `logoutOtherDevices` ends every other session, timed, with each batch script's time.
 * @param {object} options
 * @param {import('./redis.mjs').BenchRedis} options.redis a Redis the caller may flush
 * @param {number} [options.sessions] sessions to seed
 * @param {number} [options.repeats] timed page reads
 * @param {string[]} [options.nodeArgs] extra node flags for the playground (profiling)
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<UserSessionsResult>} the figures
 */
export async function measureUserSessions({ redis, sessions = 50_000, repeats = 30, nodeArgs = [], log = () => {} }) {
  const engine = await import(ENGINE_BUNDLE)
  const admin = redis.client()
  await admin.flushall()
  const { driver, nativeTtl } = await engine.createSessionDriver({ driver: 'redis', url: redis.url }, 2000)
  const store = engine.createSessionStore(createStorage({ driver }), driver, { nativeTtl, sweepIntervalMs: 0, timeoutMs: 5000 })
  const server = await startPlayground({ redisUrl: redis.url, nodeArgs })
  try {
    const alice = createShopper(server.url)
    const login = await alice.rpc('login', ALICE_LOGIN)
    if (login.status !== 200) throw new Error(`login answered ${login.status} ${login.text.slice(0, 200)}`)
    // Seeded after the login: the login's create trims the index to maxSessionsPerUser (100 by default).
    const seedStarted = performance.now()
    let next = 0
    const now = Date.now()
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < sessions) {
        const n = next++
        const keys = engine.sessionKeys(SHOP, { kind: 'user', userId: USER.id, id: engine.createUserSessionId(USER.id) })
        // Expiries spread over an hour, as last-seen times of real devices would be.
        const expiresAt = now + TTL_MS - n * 71
        const meta = engine.encodeMeta({ c: now - n * 71, s: now - n * 71, e: expiresAt, ua: USER_AGENT })
        if (!await store.create(keys, { m: meta }, { ttlMs: expiresAt - now, expiresAt })) throw new Error('a seeded session key was taken')
      }
    }))
    const seedSeconds = (performance.now() - seedStarted) / 1000
    log(`  seeded ${sessions.toLocaleString('en')} sessions of ${USER.id} through the store in ${seedSeconds.toFixed(1)} s`)

    const page = async () => {
      const response = await alice.rpc('listSessions')
      if (response.status !== 200 || !Array.isArray(response.body?.sessions) || response.body.total < sessions) {
        throw new Error(`listSessions answered ${response.status} ${response.text.slice(0, 300)}`)
      }
      return response.body
    }
    for (let i = 0; i < 5; i++) await page()
    await resetSlowLog(admin)
    const samples = []
    let pageSize = 0
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now()
      pageSize = (await page()).sessions.length
      samples.push(performance.now() - t0)
    }
    const pageScripts = await scriptDurations(admin)
    const { index, userSessionPrefix } = engine.userKeys(SHOP, USER.id)
    const storeSamples = []
    for (let i = 0; i < repeats + 5; i++) {
      const t0 = performance.now()
      const listed = await store.listUserSessions(index, userSessionPrefix, Date.now(), { limit: pageSize })
      if (i >= 5) storeSamples.push(performance.now() - t0)
      if (listed.sessions.length !== pageSize) throw new Error(`the store listed ${listed.sessions.length} sessions, expected ${pageSize}`)
    }
    log(`  listSessions page of ${pageSize}: median ${median(samples).toFixed(2)} ms end to end (store alone ${median(storeSamples).toFixed(2)} ms), scripts in Redis median ${median(pageScripts)} µs, max ${Math.max(...pageScripts)} µs`)

    await resetSlowLog(admin)
    const t0 = performance.now()
    const destroyed = await alice.rpc('logoutOtherDevices')
    const totalMs = performance.now() - t0
    const destroyScripts = await scriptDurations(admin)
    if (destroyed.status !== 200 || destroyed.body?.destroyed !== sessions) {
      throw new Error(`logoutOtherDevices answered ${destroyed.status} ${destroyed.text.slice(0, 200)}, expected ${sessions} destroyed`)
    }
    const left = await admin.zcard(`storefront:${index}`)
    if (left !== 1) throw new Error(`${left} sessions left in the index after logoutOtherDevices, expected 1`)
    const destroy = {
      destroyed: destroyed.body.destroyed,
      totalMs,
      scripts: destroyScripts.length,
      maxScriptUs: Math.max(...destroyScripts),
      medianScriptUs: median(destroyScripts),
      sumScriptUs: destroyScripts.reduce((a, b) => a + b, 0),
      overTargetScripts: destroyScripts.filter(us => us > 5000).length,
    }
    log(`  destroySessionsForUserId of ${destroy.destroyed.toLocaleString('en')}: ${totalMs.toFixed(0)} ms, ${destroy.scripts} scripts, longest ${destroy.maxScriptUs} µs, ${(destroy.sumScriptUs / 1000).toFixed(1)} ms in Redis`)
    return {
      sessions,
      seedSeconds,
      pageSize,
      page: { medianMs: median(samples), p90Ms: percentile(samples, 90), minMs: Math.min(...samples), maxMs: Math.max(...samples), samples: samples.length },
      storePage: { medianMs: median(storeSamples), p90Ms: percentile(storeSamples, 90) },
      pageScripts: { medianUs: median(pageScripts), maxUs: Math.max(...pageScripts), calls: pageScripts.length },
      destroy,
    }
  }
  finally {
    await server.stop()
    await store.dispose()
    await driver.dispose?.()
    await admin.flushall().catch(() => {})
    admin.disconnect()
  }
}
