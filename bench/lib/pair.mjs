// The paired A/B measure: two servers up at once on the same CPU and one load generator on the other, many short
// intervals in which both are under load (or, BENCH_PAIR_MODE=alternate, each in turn, ABBA), each server's CPU time in
// an interval divided by the responses it served, one ratio B/A per interval; in blocks, each with both servers started
// afresh. See "Paired A/B measure" in bench/README.md.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { freePort, pinned, startProcess } from './process.mjs'
import { cpuTimeNs, summariseRatios } from './pair-stats.mjs'
import { median } from './stats.mjs'
import { LOAD_CPU } from './throughput.mjs'
import { SERVER_CPU, prepareBare, prepareNitroFloor, preparePlaygroundRpc, startPlayground } from './variants.mjs'
import { preparePairPage } from './ssr-page.mjs'

const ENGINE_SERVER = fileURLToPath(new URL('../servers/engine.mjs', import.meta.url))
const BURN = fileURLToPath(new URL('../servers/burn.mjs', import.meta.url))
const PAIR_LOAD = fileURLToPath(new URL('./pair-load.mjs', import.meta.url))

/**
 * @typedef {object} Comparison
 * @property {string} a the server measured first in even pairs, the denominator of every ratio
 * @property {string} b the other server
 * @property {string} target what is checked, as the targets list shows it
 * @property {number} [tolerance] met when |median ratio − 1| is at most this
 * @property {boolean} [detect] met when the confidence interval of the median lies wholly above 1 (the sensitivity check)
 * @property {number} [atLeast] met when A's µs per request over B's (the inverse of the median ratio) is at least this:
 * a guard that B costs at most 1 / atLeast times A
 */

/** @type {Record<string, Comparison>} Every comparison the measure knows, by id (BENCH_PAIR). */
export const COMPARISONS = {
  'otel': { a: 'engine', b: 'engine-otel', tolerance: 0.02, target: '(2b) engine CPU per request with @opentelemetry/api and no SDK within 2% of (2) without it, paired' },
  'before': { a: 'engine-before', b: 'engine', tolerance: 0.05, target: 'engine CPU per request within 5% of the engine before the redesign (issue 13), paired' },
  'slow': { a: 'engine', b: 'engine-slow', detect: true, target: 'the paired measure detects an engine slowed by a fixed amount of work per request' },
  'same': { a: 'engine', b: 'engine', tolerance: 0.02, target: 'two processes of the same engine within 2% of each other (the method\'s own noise), paired' },
  'playground': { a: 'playground-floor', b: 'playground', atLeast: 0.9, target: 'guard: playground getUser (5) ≥ 0.9× its route floor (6) on CPU per request, paired' },
  'playground-before': { a: 'playground-before', b: 'playground', tolerance: 0.05, target: 'playground getUser (5) CPU per request within 5% of the playground of BENCH_PAIR_BEFORE, paired' },
  'ssr': { a: 'ssr-raw', b: 'ssr-logged-in', atLeast: 0.97, target: 'SSR product page: the session costs ≤ 3% of the logged-in page\'s CPU (the raw ioredis render ≥ 0.97× the logged-in one), paired' },
}

/**
 * @typedef {object} PairOptions
 * @property {string[]} comparisons ids of COMPARISONS, in run order
 * @property {'together' | 'alternate'} mode together: A and B under load at the same time in every interval, one
 * ratio per interval; alternate: A and B in turn, one interval each, one ratio per pair of intervals
 * @property {number} pairs measured pairs per comparison, over all blocks
 * @property {number} blocks times both servers are started afresh per comparison, the pairs split evenly between them
 * @property {number} interval seconds per server and interval
 * @property {number} warmup pairs run first in each block and discarded
 * @property {number} connections keep-alive connections per server
 * @property {number} burnUs µs of CPU the slowed engine adds per request
 * @property {string} [before] a checkout of the engine before a change, for the `before` comparison
 */

/** @type {PairOptions} */
export const DEFAULT_PAIR_OPTIONS = { comparisons: ['otel', 'playground', 'ssr'], mode: 'together', blocks: 10, pairs: 60, interval: 1.5, warmup: 4, connections: 50, burnUs: 1 }

/**
 * The paired measure's options from the environment of `npm run bench` (see bench/README.md).
 * @param {(name: string, fallback: number) => number} number reads a numeric variable
 * @param {(name: string) => string[] | undefined} list reads a comma-separated variable
 * @param {Record<string, string | undefined>} env the environment
 * @returns {PairOptions} the options
 */
export function pairOptionsFromEnv(number, list, env) {
  const before = env.BENCH_PAIR_BEFORE || undefined
  return {
    comparisons: list('BENCH_PAIR') ?? [...DEFAULT_PAIR_OPTIONS.comparisons, ...(before ? ['before', 'playground-before'] : [])],
    pairs: number('BENCH_PAIR_PAIRS', DEFAULT_PAIR_OPTIONS.pairs),
    blocks: Math.max(1, number('BENCH_PAIR_BLOCKS', DEFAULT_PAIR_OPTIONS.blocks)),
    interval: number('BENCH_PAIR_INTERVAL', DEFAULT_PAIR_OPTIONS.interval),
    warmup: number('BENCH_PAIR_WARMUP', DEFAULT_PAIR_OPTIONS.warmup),
    mode: env.BENCH_PAIR_MODE || DEFAULT_PAIR_OPTIONS.mode,
    connections: number('BENCH_CONNECTIONS', DEFAULT_PAIR_OPTIONS.connections),
    burnUs: number('BENCH_PAIR_BURN_US', DEFAULT_PAIR_OPTIONS.burnUs),
    before,
  }
}

function servers({ before, burnUs }) {
  const beforeCommit = before ? execFileSync('git', ['-C', before, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim() : undefined
  return {
    'engine': { label: '2 engine (this tree)', script: ENGINE_SERVER },
    'engine-otel': { label: '2b engine + @opentelemetry/api, no SDK', script: ENGINE_SERVER, env: { BENCH_TELEMETRY: '1' } },
    'engine-slow': { label: `2 engine + ${burnUs} µs of fixed work per request`, script: ENGINE_SERVER, nodeArgs: ['--import', BURN], env: { BENCH_BURN_US: String(burnUs) }, addedUs: burnUs },
    'engine-before': before && { label: `2 engine at ${beforeCommit} (${before})`, script: `${before}/bench/servers/engine.mjs`, env: { BENCH_ENGINE_BUNDLE: '' }, commit: beforeCommit },
    // The built playground, one process per side: loaded with getUser (variant 5) or with its raw GET route (6).
    'playground': { label: '5 playground: getUser RPC (this tree)', playground: 'rpc' },
    'playground-floor': { label: '6 playground: raw GET route (this tree)', playground: 'floor' },
    // The built playground's product page, one process per side: for the logged-in shopper, or with the same data
    // from one raw ioredis GET (ssr-page.mjs).
    'ssr-logged-in': { label: 'SSR product page, logged in (this tree)', playground: 'page', page: 'logged-in' },
    'ssr-raw': { label: 'SSR product page, same data from a raw ioredis GET (this tree)', playground: 'page', page: 'raw' },
    'playground-before': before && { label: `5 playground: getUser RPC at ${beforeCommit} (${before})`, playground: 'rpc', entry: beforePlayground(before), commit: beforeCommit },
  }
}

/**
 * Bundles the engine of another checkout with that checkout's own bench build (its src/ paths may differ from this
 * tree's), in a process of its own so that it resolves esbuild and the packages from that checkout.
 * @param {string} dir the checkout
 * @returns {void}
 */
function buildBefore(dir) {
  if (!existsSync(`${dir}/bench/lib/build.mjs`) || !existsSync(`${dir}/node_modules`)) {
    throw new Error(`BENCH_PAIR_BEFORE=${dir} is not a checkout with bench/lib/build.mjs and node_modules (see bench/README.md: git worktree add, then npm ci there)`)
  }
  execFileSync(process.execPath, ['--input-type=module', '-e', `await (await import(${JSON.stringify(`${dir}/bench/lib/build.mjs`)})).buildEngine()`], { cwd: dir, stdio: 'inherit' })
}

/**
 * The built playground of another checkout.
 * @param {string} dir the checkout
 * @returns {string} its server entry
 */
function beforePlayground(dir) {
  return `${dir}/playground/.output/server/index.mjs`
}

// Builds the playground of another checkout with that checkout's own `npm run dev:build`, when it is not built yet.
function buildBeforePlayground(dir) {
  if (existsSync(beforePlayground(dir))) return
  execFileSync('npm', ['run', 'dev:build'], { cwd: dir, stdio: 'inherit' })
}

async function startServer(id, spec, redisUrl) {
  if (spec.playground) return startPlayground({ redisUrl, entry: spec.entry })
  const port = await freePort()
  const child = await startProcess({
    name: id,
    command: process.execPath,
    args: [...(spec.nodeArgs ?? []), spec.script],
    cpu: SERVER_CPU,
    env: { PORT: String(port), REDIS_URL: redisUrl, ...spec.env },
    ready: /listening on/,
  })
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: child.stop, logs: child.logs }
}

function startLoadGenerator() {
  const [program, args] = pinned(LOAD_CPU, process.execPath, [PAIR_LOAD])
  const proc = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', chunk => (stderr += chunk.toString()))
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]()
  const exited = new Promise(resolve => proc.once('exit', resolve))
  return {
    async ask(command) {
      proc.stdin.write(`${JSON.stringify(command)}\n`)
      const next = await Promise.race([lines.next(), exited.then(code => ({ exited: code }))])
      if (next.exited !== undefined || next.done) throw new Error(`the load generator exited (${next.exited}):\n${stderr.slice(-2000)}`)
      return JSON.parse(next.value)
    },
    async close() {
      if (proc.exitCode === null) proc.stdin.write(`${JSON.stringify({ cmd: 'close' })}\n`)
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

// One interval: the servers' CPU time before, the load (on one server, or on several at the same time), a short
// settle for the work that follows the last response, the CPU time after.
async function interval(load, sides, durationMs) {
  const before = sides.map(side => cpuTimeNs(side.server.pid))
  const runs = await load.ask({ cmd: 'run', ids: sides.map(side => side.id), durationMs })
  await new Promise(resolve => setTimeout(resolve, 20))
  return runs.map((run, i) => {
    const after = cpuTimeNs(sides[i].server.pid)
    const cpuNs = before[i] === null || after === null ? Number.NaN : after - before[i]
    return { ...run, cpuNs, usPerRequest: run.requests > 0 ? cpuNs / 1000 / run.requests : Number.NaN }
  })
}

// One block: both servers started afresh (the first one to start alternates by block), warmed up, then
// `perBlock` measured pairs; the bodies are checked before and after.
async function runBlock(id, block, perBlock, comparison, specs, options, redis, log) {
  const sideIds = [comparison.a, comparison.b]
  // What the block's first side made for both (the product page's shopper).
  const state = {}
  const running = []
  const load = startLoadGenerator()
  try {
    const sides = []
    for (const i of block % 2 === 0 ? [0, 1] : [1, 0]) {
      const spec = specs[sideIds[i]]
      const server = await startServer(sideIds[i], spec, redis.url)
      running.push(server)
      const prepared = await prepareSide({ id: sideIds[i], label: spec.label, floor: sideIds[i] }, spec, server, redis, state)
      const key = `${'ab'[i]}:${sideIds[i]}`
      await load.ask({ cmd: 'open', id: key, ...prepared.request, connections: options.connections })
      sides[i] = { id: key, name: 'AB'[i], spec, server, prepared }
    }
    const durationMs = options.interval * 1000
    const pairs = []
    for (let i = 0; i < options.warmup + perBlock; i++) {
      // ABBA: A first in even pairs, B first in odd ones, so that a steady drift weighs on both alike (together: which
      // server's connections the load generator starts first).
      const order = i % 2 === 0 ? [sides[0], sides[1]] : [sides[1], sides[0]]
      const measured = {}
      if (options.mode === 'together') {
        const runs = await interval(load, order, durationMs)
        order.forEach((side, k) => (measured[side.name] = runs[k]))
      }
      else {
        for (const side of order) measured[side.name] = (await interval(load, [side], durationMs))[0]
      }
      if (i < options.warmup) continue
      pairs.push({ block, order: order.map(side => side.name).join(''), a: measured.A, b: measured.B, ratio: measured.B.usPerRequest / measured.A.usPerRequest })
    }
    // A server that stopped serving the right body during the load has not been measured.
    for (const side of sides) await side.prepared.verify()
    log(`  ${id} block ${block + 1}/${options.blocks}: median B/A ${median(pairs.map(p => p.ratio)).toFixed(4)} over ${pairs.length} pairs`)
    return { pairs, labels: sides.map(side => side.spec.label) }
  }
  finally {
    await load.close().catch(() => {})
    await Promise.all(running.map(server => server.stop()))
  }
}

async function prepareSide(info, spec, server, redis, state) {
  if (spec.playground === 'rpc') return preparePlaygroundRpc(info, server)
  if (spec.playground === 'page') return preparePairPage(spec.page, server, redis, state)
  if (spec.playground !== 'floor') return prepareBare(info, server)
  const prepared = await prepareNitroFloor(info, server, redis)
  if (prepared.skipped) throw new Error(prepared.skipped)
  return prepared
}

async function runComparison(id, comparison, specs, options, redis, log) {
  for (const sideId of [comparison.a, comparison.b]) {
    if (!specs[sideId]) throw new Error(`comparison ${id} needs BENCH_PAIR_BEFORE: a checkout of the engine before the change (see bench/README.md)`)
  }
  log(`  ${id}: A ${specs[comparison.a].label}, B ${specs[comparison.b].label}`)
  const perBlock = Math.ceil(options.pairs / options.blocks)
  const blocks = []
  for (let block = 0; block < options.blocks; block++) {
    blocks.push((await runBlock(id, block, perBlock, comparison, specs, options, redis, log)).pairs)
  }
  const pairs = blocks.flat()
  return {
    id,
    target: comparison.target,
    tolerance: comparison.tolerance ?? null,
    detect: comparison.detect ?? false,
    atLeast: comparison.atLeast ?? null,
    a: { id: comparison.a, label: specs[comparison.a].label, ...(specs[comparison.a].commit ? { commit: specs[comparison.a].commit } : {}) },
    b: { id: comparison.b, label: specs[comparison.b].label },
    ...(specs[comparison.b].addedUs ? { addedUs: specs[comparison.b].addedUs } : {}),
    aUsPerRequest: median(pairs.map(p => p.a.usPerRequest)),
    bUsPerRequest: median(pairs.map(p => p.b.usPerRequest)),
    differenceUs: median(pairs.map(p => p.b.usPerRequest - p.a.usPerRequest)),
    requests: pairs.reduce((sum, p) => sum + p.a.requests + p.b.requests, 0),
    failed: pairs.reduce((sum, p) => sum + p.a.failures + p.b.failures, 0),
    blockMedians: blocks.map(block => median(block.map(p => p.ratio))),
    ratio: summariseRatios(blocks.map(block => block.map(p => p.ratio))),
    pairs,
  }
}

/**
 * Runs the paired comparisons: for each, both servers start pinned to the server CPU, the load generator to the load
 * CPU, and `warmup` + `pairs` pairs of intervals run in ABBA order; each pair gives the ratio of B's CPU µs per
 * response to A's. Checks both bodies before and after.
 * @param {PairOptions & { redis: import('./redis.mjs').BenchRedis, log?: (line: string) => void }} options
 * @returns {Promise<{ options: PairOptions, comparisons: any[] }>} the results, per comparison
 */
export async function measurePairs({ redis, log = () => {}, ...options }) {
  if (!['together', 'alternate'].includes(options.mode)) throw new Error(`BENCH_PAIR_MODE=${options.mode}: use together or alternate`)
  const needBefore = options.comparisons.filter(id => id === 'before' || id === 'playground-before')
  if (needBefore.length > 0 && !options.before) {
    throw new Error(`BENCH_PAIR includes ${needBefore.map(id => `\`${id}\``).join(' and ')}: set BENCH_PAIR_BEFORE to a checkout before the change (see bench/README.md)`)
  }
  if (needBefore.includes('before')) {
    log(`  building the engine of ${options.before} with its own bench/lib/build.mjs`)
    buildBefore(options.before)
  }
  if (needBefore.includes('playground-before')) buildBeforePlayground(options.before)
  const specs = servers(options)
  const comparisons = []
  for (const id of options.comparisons) {
    const comparison = COMPARISONS[id]
    if (!comparison) throw new Error(`BENCH_PAIR: unknown comparison ${id} (known: ${Object.keys(COMPARISONS).join(', ')})`)
    comparisons.push(await runComparison(id, comparison, specs, options, redis, log))
  }
  return { options, comparisons }
}
