import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { buildEngine, ensurePlaygroundBuilt } from './build.mjs'
import { measureClientJs } from './client-js.mjs'
import { measureCommands } from './commands.mjs'
import { measureDestroyScaling } from './destroy-scaling.mjs'
import { measureDurableWrites } from './durable.mjs'
import { measureShopperMemory } from './shopper-memory.mjs'
import { measurePairs } from './pair.mjs'
import { canPin, runNodeScript } from './process.mjs'
import { startRedis } from './redis.mjs'
import { evaluateTargets } from './targets.mjs'
import { measureSsrPage } from './ssr-page.mjs'
import { LOAD_CPU, measureThroughput } from './throughput.mjs'
import { measureUserSessions } from './user-sessions.mjs'
import { SERVER_CPU, profileFlags } from './variants.mjs'

const MEMORY_WORKER = fileURLToPath(new URL('./memory-worker.mjs', import.meta.url))

/**
 * @typedef {object} BenchOptions
 * @property {number} rounds rounds per variant
 * @property {number} duration seconds per variant and round
 * @property {number} warmup seconds per variant before the first round (0: none)
 * @property {number} connections concurrent connections of the load generator
 * @property {string[]} [variants] variant ids to run (all by default)
 * @property {string[]} [profile] variant ids (or `playground`) whose servers run with --cpu-prof
 * @property {boolean} commands measure store commands per request type
 * @property {false | { sizes: number[], repeats: number }} scaling destroySessionsForUserId scaling
 * @property {false | { sessions: number, maxEntries: number, ttlMs: number, sweepIntervalMs: number }} memory memory store bound
 * @property {false | { rounds: number, duration: number, concurrency: number }} durable durable writes against the default mode
 * @property {false | { rounds: number, duration: number }} ssrPage the product page logged in, anonymous and on a raw read
 * @property {false | { sessions: number, repeats: number }} userSessions one user with many sessions: a page of listSessions, destroy-all
 * @property {boolean} clientJs the client JavaScript the module adds to a product page (two builds, Chromium)
 * @property {false | { population: number }} shopperMemory Redis memory per shopper, against express-session + connect-redis
 * @property {false | import('./pair.mjs').PairOptions} [pair] the paired A/B measure (off unless given: `npm run bench` gives it)
 */

/** @type {BenchOptions} The defaults of `npm run bench`. */
export const DEFAULT_OPTIONS = {
  rounds: 5,
  duration: 5,
  warmup: 2,
  connections: 50,
  commands: true,
  scaling: { sizes: [10_000, 100_000, 1_000_000], repeats: 20 },
  memory: { sessions: 1_000_000, maxEntries: 200_000, ttlMs: 10_000, sweepIntervalMs: 1000 },
  durable: { rounds: 3, duration: 3, concurrency: 50 },
  ssrPage: { rounds: 5, duration: 5 },
  userSessions: { sessions: 50_000, repeats: 30 },
  clientJs: true,
  shopperMemory: { population: 10_000 },
}

/**
 * Runs the benchmark: throughput of every variant, store commands per request, destroy scaling and the memory bound,
 * on a redis-server of its own, then checks the targets. Builds the engine bundle from src/ first.
 * @param {Partial<BenchOptions> & { log?: (line: string) => void }} [given]
 * @returns {Promise<any>} the results, as written to bench/results/latest.json
 */
export async function runBench(given = {}) {
  const { log = () => {}, ...rest } = given
  /** @type {BenchOptions} */
  const options = { ...DEFAULT_OPTIONS, ...rest }
  const started = Date.now()
  const loadAverageStart = loadavg().map(n => Math.round(n * 100) / 100)
  log('building the engine bundle from src/')
  await buildEngine()
  const pairOnPlayground = options.pair && options.pair.comparisons.some(id => ['playground', 'playground-before', 'ssr'].includes(id))
  const onPlayground = options.commands || options.ssrPage || options.userSessions || Boolean(options.shopperMemory) || pairOnPlayground || (options.rounds > 0 && (!options.variants || options.variants.some(id => id === 'playground' || id === 'nitro-floor')))
  if (onPlayground) {
    await ensurePlaygroundBuilt(log)
  }
  const redis = await startRedis({ cpu: LOAD_CPU })
  const result = { startedAt: new Date(started).toISOString(), options }
  try {
    const cpu = cpus()
    result.environment = {
      node: process.versions.node,
      redis: await redis.version(),
      cpus: cpu.length,
      cpuModel: cpu[0]?.model?.trim() ?? 'unknown',
      platform: `${process.platform} ${process.arch}`,
      pinned: canPin(),
      serverCpu: SERVER_CPU,
      loadCpu: LOAD_CPU,
      loadAverageStart,
    }
    if (options.rounds > 0) {
      log(`throughput: ${options.rounds} rounds × ${options.duration} s per variant, ${options.connections} connections`)
      result.throughput = await measureThroughput({ redis, ...options, only: options.variants, log })
    }
    if (options.commands) {
      log('store commands per request')
      result.commands = await measureCommands({ redis, log })
    }
    if (options.shopperMemory) {
      log(`Redis memory per shopper: one of each, then ${options.shopperMemory.population.toLocaleString('en')} copies`)
      result.shopperMemory = await measureShopperMemory({ redis, ...options.shopperMemory, log })
    }
    if (options.scaling) {
      log(`destroySessionsForUserId scaling: ${options.scaling.sizes.map(n => n.toLocaleString('en')).join(', ')} sessions`)
      result.scaling = await measureDestroyScaling({ redis, ...options.scaling, log })
    }
    if (options.ssrPage) {
      log(`server-rendered product page: ${options.ssrPage.rounds} rounds × ${options.ssrPage.duration} s per render, ${options.connections} connections`)
      result.ssrPage = await measureSsrPage({ redis, ...options.ssrPage, warmup: options.warmup, connections: options.connections, nodeArgs: profileFlags('ssr', options.profile ?? []), log })
    }
    if (options.userSessions) {
      log(`a user with ${options.userSessions.sessions.toLocaleString('en')} sessions: listSessions and destroySessionsForUserId`)
      result.userSessions = await measureUserSessions({ redis, ...options.userSessions, nodeArgs: profileFlags('sessions', options.profile ?? []), log })
    }
    if (options.pair) {
      log(`paired A/B (${options.pair.mode}): ${options.pair.comparisons.join(', ')}; ${options.pair.pairs} pairs of ${options.pair.interval} s intervals each in ${options.pair.blocks} blocks, after ${options.pair.warmup} discarded per block`)
      result.pair = await measurePairs({ redis, ...options.pair, log })
    }
  }
  finally {
    await redis.stop()
  }
  if (options.durable) {
    log(`durable writes: ${options.durable.rounds} rounds × ${options.durable.duration} s per mode, ${options.durable.concurrency} concurrent writers, primary + replica`)
    result.durable = await measureDurableWrites({ ...options.durable, cpu: LOAD_CPU, log })
  }
  if (options.memory) {
    log(`memory store bound: ${options.memory.sessions.toLocaleString('en')} sessions, maxEntries ${options.memory.maxEntries.toLocaleString('en')}`)
    result.memory = await runNodeScript({ script: MEMORY_WORKER, input: { batch: 1000, ...options.memory }, nodeArgs: ['--expose-gc'] })
    log('the same into unstorage\'s lru-cache driver, for comparison')
    result.memoryLru = await runNodeScript({ script: MEMORY_WORKER, input: { batch: 1000, ...options.memory, driver: 'lru-cache' }, nodeArgs: ['--expose-gc'] })
  }
  if (options.clientJs) {
    log('client JavaScript of a product page: two builds, with and without the module')
    result.clientJs = await measureClientJs({ log })
  }
  result.targets = evaluateTargets(result)
  result.environment.loadAverageEnd = loadavg().map(n => Math.round(n * 100) / 100)
  result.durationSeconds = (Date.now() - started) / 1000
  return result
}
