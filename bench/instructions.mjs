// `node bench/instructions.mjs <variant> [n1] [n2]`: instructions per request of one bench variant, counted by
// valgrind's callgrind. Time on a shared machine swings with its neighbours; an instruction count does not, so a
// change can be measured before and after to a fraction of a percent. The server runs twice under callgrind, serving
// n1 and n2 requests (10 keep-alive connections); the difference of the two totals over n2 - n1 is the cost of one
// request once the JIT has warmed up, start-up and the first n1 requests left out. System calls are not counted.
// See bench/README.md.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { buildEngine, ensurePlaygroundBuilt } from './lib/build.mjs'
import { RESULTS_DIR } from './lib/paths.mjs'
import { startRedis } from './lib/redis.mjs'
import { VARIANTS, prepareBare, prepareNitroFloor, preparePlaygroundRpc, startBareServer, startPlayground } from './lib/variants.mjs'

const [variant = 'engine', first = '20000', second = '40000'] = process.argv.slice(2)
const info = VARIANTS.find(candidate => candidate.id === variant)
const n1 = Number(first)
const n2 = Number(second)
if (!info || !(n1 > 0) || !(n2 > n1)) {
  console.error(`usage: node bench/instructions.mjs <${VARIANTS.map(v => v.id).join('|')}> [n1] [n2], with 0 < n1 < n2`)
  process.exit(1)
}
if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('valgrind is not installed (apt-get install -y valgrind)')
  process.exit(1)
}

const onPlayground = variant === 'playground' || variant === 'nitro-floor'
if (onPlayground) await ensurePlaygroundBuilt(line => console.log(line))
else await buildEngine()
const dir = `${RESULTS_DIR}callgrind/`
mkdirSync(dir, { recursive: true })
const redis = await startRedis()

/**
 * Sends `count` requests over 10 keep-alive connections and checks that each one is a 200.
 * @param {import('./lib/variants.mjs').LoadRequest} load what to send
 * @param {number} count how many
 */
async function drive(load, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: 10 })
  const url = new URL(load.url)
  let left = count
  const one = () => new Promise((resolve, reject) => {
    const headers = load.body === undefined ? load.headers : { ...load.headers, 'content-length': Buffer.byteLength(load.body) }
    const sent = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: load.method, headers, agent }, (response) => {
      response.resume()
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`${variant} answered ${response.statusCode}`))))
    })
    sent.on('error', reject)
    sent.end(load.body)
  })
  try {
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (left-- > 0) await one()
    }))
  }
  finally {
    agent.destroy()
  }
}

/**
 * Runs the variant's server under callgrind for `count` requests.
 * @param {number} count requests after the set-up
 * @returns {Promise<number>} instructions the whole process ran
 */
async function instructionsFor(count) {
  const out = `${dir}${variant}-${count}.out`
  rmSync(out, { force: true })
  const under = ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', '--dump-instr=no', `--callgrind-out-file=${out}`]
  const server = onPlayground
    ? await startPlayground({ redisUrl: redis.url, under })
    : await startBareServer(variant, { redisUrl: redis.url, under })
  try {
    const prepared = variant === 'playground'
      ? await preparePlaygroundRpc(info, server)
      : variant === 'nitro-floor' ? await prepareNitroFloor(info, server, redis) : await prepareBare(info, server)
    if (prepared.skipped) throw new Error(prepared.skipped)
    await drive(prepared.request, count)
  }
  finally {
    await server.stop()
  }
  if (!existsSync(out)) throw new Error(`callgrind wrote no ${out}:\n${server.logs().slice(-2000)}`)
  const total = /^(?:summary|totals):\s*(\d+)/m.exec(readFileSync(out, 'utf8'))
  if (!total) throw new Error(`no instruction total in ${out}`)
  return Number(total[1])
}

try {
  console.log(`${info.label}: ${n1} and ${n2} requests under callgrind (a few minutes)`)
  const [a, b] = await Promise.all([instructionsFor(n1), instructionsFor(n2)])
  console.log(`${variant}: ${Math.round((b - a) / (n2 - n1)).toLocaleString('en')} instructions per request (totals ${a.toLocaleString('en')} and ${b.toLocaleString('en')}; files in bench/results/callgrind/)`)
}
finally {
  await redis.stop()
}
