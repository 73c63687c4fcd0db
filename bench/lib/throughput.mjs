import { fileURLToPath } from 'node:url'
import { cpuTimeMs } from './cpu.mjs'
import { runNodeScript } from './process.mjs'
import { median } from './stats.mjs'
import { VARIANTS, prepareBare, prepareNitroFloor, preparePlaygroundRpc, profileFlags, startBareServer, startPlayground } from './variants.mjs'

/** The CPU the load generator runs on. */
export const LOAD_CPU = '1'
const LOAD_WORKER = fileURLToPath(new URL('./load-worker.mjs', import.meta.url))

/**
 * @typedef {object} LoadResult one autocannon run
 * @property {number} requests responses received
 * @property {number} duration seconds
 * @property {number} rps responses per second
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {number} non2xx responses with another status
 * @property {number} errors connection errors
 * @property {number} timeouts requests without an answer in 10 s
 * @property {number} bytes received
 * @property {number | null} [cpuUsPerRequest] CPU time the server spent per response, µs (null without /proc)
 * @property {number | null} [cpuShare] the server's CPU time over the run's wall time (1 = one full core)
 */

/**
 * @typedef {object} VariantResult
 * @property {string} id the variant
 * @property {string} label its name in the table
 * @property {string} floor the variant its ratio is taken against
 * @property {string} [skipped] why it was not measured
 * @property {LoadResult[]} rounds every measured run, in round order
 * @property {number} rps median req/s over the rounds
 * @property {number} p50 median p50 latency, ms
 * @property {number} p99 median p99 latency, ms
 * @property {number} ratio median over the rounds of req/s ÷ its floor's req/s in the same round
 * @property {number} cpuUsPerRequest median server CPU µs per response
 * @property {number} cpuRatio the floor's CPU µs per response ÷ this variant's (capacity on a quiet core, relative)
 * @property {number} failed responses that were not 2xx, errors and timeouts, over all rounds
 */

/**
 * Runs one load against a prepared variant, from the load generator's CPU, and measures the server's CPU time.
 * @param {import('./variants.mjs').PreparedVariant} variant
 * @param {{ duration: number, connections: number }} options
 * @returns {Promise<LoadResult>} what autocannon measured
 */
export async function runLoad(variant, { duration, connections }) {
  const before = cpuTimeMs(variant.server.pid)
  const result = await runNodeScript({ script: LOAD_WORKER, cpu: LOAD_CPU, input: { ...variant.request, duration, connections } })
  const after = cpuTimeMs(variant.server.pid)
  const cpuMs = before === null || after === null ? null : after - before
  return {
    ...result,
    cpuUsPerRequest: cpuMs === null || result.requests === 0 ? null : (cpuMs * 1000) / result.requests,
    cpuShare: cpuMs === null ? null : cpuMs / (result.duration * 1000),
  }
}

/**
 * Measures req/s and latency of every variant: starts each server in a process of its own on the server CPU, checks
 * that each serves the expected body, warms each up, then runs `rounds` rounds in which every variant gets the same
 * `duration` (the order rotates per round, so that noise spreads evenly), and checks the bodies again at the end.
 * @param {object} options
 * @param {import('./redis.mjs').BenchRedis} options.redis
 * @param {number} options.rounds
 * @param {number} options.duration seconds per variant and round
 * @param {number} options.warmup seconds per variant before the first round
 * @param {number} options.connections concurrent connections of the load generator
 * @param {string[]} [options.only] variant ids to run (all by default)
 * @param {string[]} [options.profile] variant ids whose servers run with --cpu-prof
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<VariantResult[]>} one result per variant, in table order
 */
export async function measureThroughput({ redis, rounds, duration, warmup, connections, only, profile = [], log = () => {} }) {
  const wanted = VARIANTS.filter(variant => !only || only.includes(variant.id))
  /** @type {import('./variants.mjs').Server[]} */
  const servers = []
  /** @type {import('./variants.mjs').PreparedVariant[]} */
  const prepared = []
  try {
    let playground
    for (const info of wanted) {
      if (info.id === 'playground' || info.id === 'nitro-floor') {
        if (!playground) {
          playground = await startPlayground({ redisUrl: redis.url, nodeArgs: profileFlags('playground', profile) })
          servers.push(playground)
        }
        prepared.push(info.id === 'playground' ? await preparePlaygroundRpc(info, playground) : await prepareNitroFloor(info, playground, redis))
      }
      else {
        const server = await startBareServer(info.id, { redisUrl: redis.url, nodeArgs: profileFlags(info.id, profile) })
        servers.push(server)
        prepared.push(await prepareBare(info, server))
      }
      const last = prepared.at(-1)
      log(last.skipped ? `  ${info.label}: SKIPPED, ${last.skipped}` : `  ${info.label}: serves the expected body`)
    }
    const active = prepared.filter(variant => !variant.skipped)
    if (warmup > 0) {
      for (const variant of active) await runLoad(variant, { duration: warmup, connections })
    }
    /** @type {Map<string, LoadResult[]>} */
    const results = new Map(active.map(variant => [variant.info.id, []]))
    for (let round = 0; round < rounds; round++) {
      const order = active.map((_, i) => active[(i + round) % active.length])
      for (const variant of order) {
        results.get(variant.info.id).push(await runLoad(variant, { duration, connections }))
      }
      log(`  round ${round + 1}/${rounds}: ${active.map(variant => `${variant.info.id} ${Math.round(results.get(variant.info.id).at(-1).rps)}`).join(', ')} req/s`)
    }
    // A variant that stopped serving the right body during the load has not been measured.
    for (const variant of active) await variant.verify()

    const cpu = new Map(active.map(variant => [variant.info.id, median(results.get(variant.info.id).map(r => r.cpuUsPerRequest ?? Number.NaN))]))
    return prepared.map(({ info, skipped }) => {
      const runs = results.get(info.id) ?? []
      const floorRuns = results.get(info.floor)
      const ratios = floorRuns ? runs.map((run, i) => run.rps / floorRuns[i].rps) : []
      return {
        id: info.id,
        label: info.label,
        floor: info.floor,
        ...(skipped ? { skipped } : {}),
        rounds: runs,
        rps: median(runs.map(r => r.rps)),
        p50: median(runs.map(r => r.p50)),
        p99: median(runs.map(r => r.p99)),
        ratio: median(ratios),
        cpuUsPerRequest: cpu.get(info.id) ?? Number.NaN,
        cpuRatio: (cpu.get(info.floor) ?? Number.NaN) / (cpu.get(info.id) ?? Number.NaN),
        failed: runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
      }
    })
  }
  finally {
    await Promise.all(servers.map(server => server.stop()))
  }
}
