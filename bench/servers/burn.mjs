// A deliberately slowed server, for the paired measure's sensitivity check only: preloaded with
// `node --import bench/servers/burn.mjs <server>`, it does a fixed amount of arithmetic before every request the
// server's HTTP listener gets, BENCH_BURN_US microseconds of CPU as calibrated at start (by CPU time, so that another
// process taking the core during the calibration does not change the amount). The server itself is not changed.
import { Server } from 'node:http'

const micros = Number(process.env.BENCH_BURN_US)
if (!(micros > 0)) throw new Error(`BENCH_BURN_US=${process.env.BENCH_BURN_US} is not a positive number of microseconds`)

function spin(iterations) {
  let x = 1
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 1664525) + 1013904223) | 0
  return x
}

// Warm up the loop, then count iterations per microsecond of CPU over at least 200 ms of CPU.
let sink = 0
for (let i = 0; i < 200; i++) sink ^= spin(10_000)
const start = process.cpuUsage()
let iterations = 0
let usedUs = 0
while (usedUs < 200_000) {
  sink ^= spin(1_000_000)
  iterations += 1_000_000
  const used = process.cpuUsage(start)
  usedUs = used.user + used.system
}
const perRequest = Math.round((iterations / usedUs) * micros)

const emit = Server.prototype.emit
Server.prototype.emit = function (event, ...args) {
  if (event === 'request') sink ^= spin(perRequest)
  return emit.call(this, event, ...args)
}
process.once('exit', () => {
  if (sink === 0.5) console.log(sink)
})
console.log(`burn: ${perRequest} iterations (${micros} µs of CPU) per request`)
