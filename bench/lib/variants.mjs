import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { createShopper, request } from './http.mjs'
import { PLAYGROUND_SERVER, RESULTS_DIR } from './paths.mjs'
import { ALICE_LOGIN, GET_USER_PAYLOAD, PAYLOAD, SECRET } from './payload.mjs'
import { freePort, startProcess } from './process.mjs'

/** The CPU servers under test run on. */
export const SERVER_CPU = '0'

/**
 * @typedef {object} VariantInfo
 * @property {string} id a stable name
 * @property {string} label its name in the table
 * @property {string} floor the id of the variant its ratio is taken against
 */

/** @type {VariantInfo[]} Every variant, in table order. */
export const VARIANTS = [
  { id: 'floor', label: '1 floor: h3 + raw ioredis GET', floor: 'floor' },
  { id: 'engine', label: '2 storefront engine in h3 (Redis)', floor: 'floor' },
  { id: 'engine-otel', label: '2b engine + @opentelemetry/api, no SDK', floor: 'engine' },
  { id: 'express-session', label: '3 express-session + connect-redis', floor: 'floor' },
  { id: 'h3-session', label: '4 h3 useSession (sealed cookie)', floor: 'floor' },
  { id: 'playground', label: '5 playground: getUser RPC (Redis)', floor: 'nitro-floor' },
  { id: 'nitro-floor', label: '6 playground: raw GET route', floor: 'nitro-floor' },
]

/** The route variant 6 needs in the playground (see bench/README.md). */
export const NITRO_FLOOR_PATH = '/bench/floor'

const BARE_SERVERS = {
  'floor': 'floor.mjs',
  'engine': 'engine.mjs',
  'engine-otel': 'engine.mjs',
  'express-session': 'express-session.mjs',
  'h3-session': 'h3-session.mjs',
}

/**
 * @typedef {object} Server
 * @property {string} url where it listens
 * @property {number} pid its process, for CPU time
 * @property {() => Promise<void>} stop stops it
 * @property {() => string} logs what it printed
 */

/**
 * @typedef {object} LoadRequest
 * @property {string} url the whole URL
 * @property {string} method the HTTP method
 * @property {Record<string, string>} headers the session cookie, and a content type for a body
 * @property {string} [body] the request body
 */

/**
 * @typedef {object} PreparedVariant
 * @property {VariantInfo} info which variant
 * @property {Server} server the server that serves it
 * @property {LoadRequest} [request] what the load generator sends; undefined when skipped
 * @property {unknown} expected the body every response must have
 * @property {string} [skipped] why the variant is not measured
 * @property {() => Promise<void>} verify fetches once and throws unless the body is the expected one
 */

/**
 * Node flags for a server: `--cpu-prof` when its variant is being profiled.
 * @param {string} id the variant (or process) id
 * @param {string[]} profile ids to profile
 * @returns {string[]} the flags
 */
export function profileFlags(id, profile) {
  if (!profile.includes(id)) return []
  const dir = `${RESULTS_DIR}profiles`
  mkdirSync(dir, { recursive: true })
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${id}.cpuprofile`]
}

/**
 * How a server's process is started: node with its flags, pinned to the server CPU; or under another program (valgrind
 * for `bench/instructions.mjs`), unpinned and with minutes to start and to stop.
 * @param {string} script the server
 * @param {{ nodeArgs?: string[], under?: string[] }} launch `under`: the program and its flags that run node
 * @returns {{ command: string, args: string[], cpu: string | undefined, timeoutMs: number, stopTimeoutMs: number }} what startProcess takes
 */
function serverProcess(script, { nodeArgs = [], under }) {
  const args = [...nodeArgs, script]
  return under
    ? { command: under[0], args: [...under.slice(1), process.execPath, ...args], cpu: undefined, timeoutMs: 300_000, stopTimeoutMs: 120_000 }
    : { command: process.execPath, args, cpu: SERVER_CPU, timeoutMs: 30_000, stopTimeoutMs: 5000 }
}

/**
 * Starts the built playground in production mode on Redis, pinned like every server under test.
 * @param {object} options
 * @param {string} options.redisUrl the Redis it keeps sessions in
 * @param {string[]} [options.nodeArgs] extra node flags
 * @param {string[]} [options.under] a program that runs node (see serverProcess)
 * @param {string} [options.entry] the built server to start: this tree's playground by default (the paired measure
 * also starts another checkout's)
 * @returns {Promise<Server>} the server
 */
export async function startPlayground({ redisUrl, nodeArgs = [], under, entry = PLAYGROUND_SERVER }) {
  if (!existsSync(entry)) {
    throw new Error(`the playground is not built (${entry} is missing): run \`npm run dev:build\` first`)
  }
  const port = await freePort()
  const child = await startProcess({
    name: 'playground',
    ...serverProcess(entry, { nodeArgs, under }),
    env: {
      NODE_ENV: 'production',
      NUXT_STOREFRONT_SESSION_SECRET: SECRET,
      REDIS_URL: redisUrl,
      // The bench logs the same accounts in thousands of times: the limiter still runs (and is counted), never refuses.
      NUXT_STOREFRONT_LOGIN_LIMIT_PER_ACCOUNT: '100000000',
      NUXT_STOREFRONT_LOGIN_LIMIT_PER_ADDRESS: '100000000',
      STOREFRONT_BENCH_FLOOR: '1',
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    ready: /Listening on/,
  })
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: child.stop, logs: child.logs }
}

/**
 * Starts one of the bare servers (variants 1 to 4), pinned to the server CPU.
 * @param {string} id the variant
 * @param {object} options
 * @param {string} options.redisUrl
 * @param {string[]} [options.nodeArgs] extra node flags
 * @param {string[]} [options.under] a program that runs node (see serverProcess)
 * @returns {Promise<Server>} the server
 */
export async function startBareServer(id, { redisUrl, nodeArgs = [], under }) {
  const port = await freePort()
  const child = await startProcess({
    name: id,
    ...serverProcess(fileURLToPath(new URL(`../servers/${BARE_SERVERS[id]}`, import.meta.url)), { nodeArgs, under }),
    env: { PORT: String(port), REDIS_URL: redisUrl, ...(id === 'engine-otel' ? { BENCH_TELEMETRY: '1' } : {}) },
    ready: /listening on/,
  })
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: child.stop, logs: child.logs }
}

function verifier(info, load, expected) {
  return async () => {
    const response = await request(load.url, load)
    if (response.status !== 200 || !isDeepStrictEqual(response.body, expected)) {
      throw new Error(`variant ${info.label} answered ${response.status} ${response.text.slice(0, 500)}; expected ${JSON.stringify(expected)}`)
    }
  }
}

/**
 * Creates the session of a bare server (POST /setup) and checks that it serves the payload.
 * @param {VariantInfo} info
 * @param {Server} server
 * @returns {Promise<PreparedVariant>} the variant, ready for load
 */
export async function prepareBare(info, server) {
  const { url } = server
  let setup = await request(`${url}/setup`, { method: 'POST' })
  // A 503 while the store still connects (a server under callgrind runs ~50× slower than the store timeout expects):
  // a few more tries, a second apart.
  for (let attempt = 1; setup.status === 503 && attempt < 10; attempt++) {
    await new Promise(resolve => setTimeout(resolve, 1000))
    setup = await request(`${url}/setup`, { method: 'POST' })
  }
  if (setup.status !== 200 || setup.setCookies.length === 0) {
    throw new Error(`variant ${info.label}: /setup answered ${setup.status} ${setup.text.slice(0, 300)} without a cookie`)
  }
  const load = { url: `${url}/`, method: 'GET', headers: { cookie: setup.setCookies.join('; ') } }
  const prepared = { info, server, request: load, expected: PAYLOAD, verify: verifier(info, load, PAYLOAD) }
  await prepared.verify()
  return prepared
}

/**
 * Logs Alice in on the playground and checks that getUser serves her (variant 5).
 * @param {VariantInfo} info
 * @param {Server} server the playground
 * @returns {Promise<PreparedVariant>} the variant, ready for load
 */
export async function preparePlaygroundRpc(info, server) {
  const { url } = server
  const alice = createShopper(url)
  const login = await alice.rpc('login', ALICE_LOGIN)
  if (login.status !== 200) {
    throw new Error(`playground login answered ${login.status} ${login.text.slice(0, 300)}`)
  }
  // The first call after a login takes the login's flash message (one write); every later call is a pure read.
  await alice.rpc('getUser')
  const load = { url: `${url}/api/rpc/getUser`, method: 'POST', headers: { 'content-type': 'application/json', 'cookie': alice.jar.header() }, body: '{}' }
  const prepared = { info, server, request: load, expected: GET_USER_PAYLOAD, verify: verifier(info, load, GET_USER_PAYLOAD) }
  await prepared.verify()
  return prepared
}

/**
 * Stores getUser's answer under a key of its own and checks that the playground's raw GET route serves it
 * (variant 6). Without that route in the playground, the variant is skipped.
 * @param {VariantInfo} info
 * @param {Server} server the playground
 * @param {import('./redis.mjs').BenchRedis} redis
 * @returns {Promise<PreparedVariant>} the variant, ready for load or skipped
 */
export async function prepareNitroFloor(info, server, redis) {
  const { url } = server
  const id = randomUUID()
  const client = redis.client()
  try {
    await client.set(`bench:floor:${id}`, JSON.stringify(GET_USER_PAYLOAD), 'EX', 86400)
  }
  finally {
    client.disconnect()
  }
  const load = { url: `${url}${NITRO_FLOOR_PATH}`, method: 'GET', headers: { cookie: `bench-floor=${id}` } }
  const probe = await request(load.url, load)
  if (probe.status === 404) {
    const skipped = `GET ${NITRO_FLOOR_PATH} answered 404: the playground has no bench floor route (add playground/server/routes/bench/floor.get.ts as bench/README.md shows, then rebuild it)`
    return { info, server, expected: GET_USER_PAYLOAD, skipped, verify: async () => {} }
  }
  const prepared = { info, server, request: load, expected: GET_USER_PAYLOAD, verify: verifier(info, load, GET_USER_PAYLOAD) }
  await prepared.verify()
  return prepared
}
