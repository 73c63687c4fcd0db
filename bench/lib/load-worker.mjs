// Runs one autocannon load against one URL and prints the result as one JSON line. The bench starts it as its own
// process, pinned to the load generator's CPU.
import autocannon from 'autocannon'

const options = JSON.parse(process.argv[2])
const result = await autocannon({
  url: options.url,
  method: options.method,
  headers: options.headers,
  body: options.body,
  connections: options.connections,
  pipelining: 1,
  duration: options.duration,
  timeout: 10,
})
console.log(JSON.stringify({
  requests: result.requests.total,
  duration: result.duration,
  rps: result.requests.total / result.duration,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  bytes: result.throughput.total,
}))
