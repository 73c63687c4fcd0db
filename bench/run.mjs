// `npm run bench`: runs the whole benchmark, prints the table and writes bench/results/latest.json.
// See bench/README.md for what each number means and for the environment variables below.
import { mkdirSync, writeFileSync } from 'node:fs'
import { RESULTS_DIR } from './lib/paths.mjs'
import { pairOptionsFromEnv } from './lib/pair.mjs'
import { formatReport } from './lib/report.mjs'
import { DEFAULT_OPTIONS, runBench } from './lib/suite.mjs'

const env = process.env
const number = (name, fallback) => {
  if (env[name] === undefined || env[name] === '') return fallback
  const value = Number(env[name])
  if (!Number.isFinite(value) || value < 0) {
    console.error(`[bench] ${name}=${env[name]} is not a number`)
    process.exit(1)
  }
  return value
}
const list = name => (env[name] ? env[name].split(',').map(s => s.trim()).filter(Boolean) : undefined)
const PARTS = ['throughput', 'commands', 'scaling', 'durable', 'memory', 'ssr', 'sessions', 'clientjs', 'shopper-memory', 'pair']
// BENCH_ONLY runs the parts it names and skips every other; BENCH_SKIP leaves parts out.
const only = list('BENCH_ONLY')
const skip = new Set([...(list('BENCH_SKIP') ?? []), ...(only ? PARTS.filter(part => !only.includes(part)) : [])])

const options = {
  rounds: skip.has('throughput') ? 0 : number('BENCH_ROUNDS', DEFAULT_OPTIONS.rounds),
  duration: number('BENCH_DURATION', DEFAULT_OPTIONS.duration),
  warmup: number('BENCH_WARMUP', DEFAULT_OPTIONS.warmup),
  connections: number('BENCH_CONNECTIONS', DEFAULT_OPTIONS.connections),
  variants: list('BENCH_VARIANTS'),
  profile: list('BENCH_PROFILE') ?? [],
  commands: !skip.has('commands'),
  scaling: skip.has('scaling') ? false : { ...DEFAULT_OPTIONS.scaling, sizes: list('BENCH_SCALING_SIZES')?.map(Number) ?? DEFAULT_OPTIONS.scaling.sizes },
  durable: skip.has('durable') ? false : { ...DEFAULT_OPTIONS.durable, rounds: number('BENCH_DURABLE_ROUNDS', DEFAULT_OPTIONS.durable.rounds), duration: number('BENCH_DURABLE_DURATION', DEFAULT_OPTIONS.durable.duration) },
  memory: skip.has('memory') ? false : { ...DEFAULT_OPTIONS.memory, sessions: number('BENCH_MEMORY_SESSIONS', DEFAULT_OPTIONS.memory.sessions), maxEntries: number('BENCH_MEMORY_MAX_ENTRIES', DEFAULT_OPTIONS.memory.maxEntries) },
  ssrPage: skip.has('ssr') ? false : { ...DEFAULT_OPTIONS.ssrPage, rounds: number('BENCH_SSR_ROUNDS', DEFAULT_OPTIONS.ssrPage.rounds), duration: number('BENCH_SSR_DURATION', DEFAULT_OPTIONS.ssrPage.duration) },
  userSessions: skip.has('sessions') ? false : { ...DEFAULT_OPTIONS.userSessions, sessions: number('BENCH_USER_SESSIONS', DEFAULT_OPTIONS.userSessions.sessions) },
  clientJs: !skip.has('clientjs'),
  shopperMemory: skip.has('shopper-memory') ? false : { population: number('BENCH_SHOPPER_POPULATION', DEFAULT_OPTIONS.shopperMemory.population) },
  pair: skip.has('pair') ? false : pairOptionsFromEnv(number, list, env),
  log: line => console.log(line),
}
if (options.profile.length > 0) {
  console.log(`[bench] profiling ${options.profile.join(', ')} with --cpu-prof: their numbers are slowed down by the profiler`)
}

const result = await runBench(options)
mkdirSync(RESULTS_DIR, { recursive: true })
writeFileSync(`${RESULTS_DIR}latest.json`, `${JSON.stringify(result, null, 2)}\n`)
console.log(`\n${formatReport(result)}`)
console.log(`\nwritten to bench/results/latest.json${options.profile.length > 0 ? '; profiles in bench/results/profiles (summarise with node bench/profile-summary.mjs <file>)' : ''}`)
