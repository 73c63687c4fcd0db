// The paired measure's load generator: one long-lived process, pinned to the load CPU, that holds keep-alive
// connections to every server of a comparison and drives one of them at a time. It reads commands as JSON lines on
// stdin and answers each with one JSON line on stdout:
//   { cmd: 'open', id, url, method, headers, body, connections }  opens the connections, sends one request on each
//   { cmd: 'run', ids, durationMs }  a closed loop on the connections of those servers (one, or several at the same
//                                    time) for durationMs, then waits for every request in flight: each server has
//                                    done all the work it was given, no more; answers one result per id
//   { cmd: 'close' }                 closes everything and exits
// Connections stay open between intervals, so no interval pays for connecting, and every response a server sent in an
// interval is counted in it. A response counts as ok when its status is 200 and its body has the length of the first
// one (the bench checks the whole body before and after the measure).
import { connect } from 'node:net'
import { createInterface } from 'node:readline'

const HEADER_END = Buffer.from('\r\n\r\n')

/** @type {Map<string, { sockets: Connection[], expectedLength: number | null }>} */
const targets = new Map()

class Connection {
  constructor(target, host, port, payload) {
    this.target = target
    this.payload = payload
    this.buffer = Buffer.alloc(0)
    this.onResponse = null
    this.socket = connect({ host, port, noDelay: true })
    this.socket.on('data', chunk => this.data(chunk))
    this.closed = false
    // A connection the server drops ends its request as a failure and takes no more requests.
    this.socket.on('error', () => {})
    this.socket.on('close', () => {
      this.closed = true
      const done = this.onResponse
      this.onResponse = null
      done?.(0, -1)
    })
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve)
      this.socket.once('error', reject)
    })
  }

  send(onResponse) {
    this.onResponse = onResponse
    this.socket.write(this.payload)
  }

  data(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    const end = this.buffer.indexOf(HEADER_END)
    if (end < 0) return
    const head = this.buffer.toString('latin1', 0, end)
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? Number.NaN)
    if (!Number.isFinite(length)) throw new Error(`response without Content-Length: ${head}`)
    if (this.buffer.length < end + 4 + length) return
    const status = Number(head.slice(9, 12))
    this.buffer = this.buffer.subarray(end + 4 + length)
    const done = this.onResponse
    this.onResponse = null
    done(status, length)
  }
}

function serialise({ url, method, headers, body }) {
  const { host, pathname, search } = new URL(url)
  const lines = [`${method} ${pathname}${search} HTTP/1.1`, `host: ${host}`, 'connection: keep-alive']
  for (const [name, value] of Object.entries(headers ?? {})) lines.push(`${name}: ${value}`)
  if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`)
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`)
}

async function open(command) {
  const { hostname, port } = new URL(command.url)
  const payload = serialise(command)
  const target = { sockets: [], expectedLength: null }
  for (let i = 0; i < command.connections; i++) target.sockets.push(new Connection(target, hostname, Number(port), payload))
  await Promise.all(target.sockets.map(socket => socket.ready))
  targets.set(command.id, target)
  // One request on each connection, so that the server has set up every connection before the first interval.
  const first = await run(target, 0)
  return { ...first, expectedLength: target.expectedLength }
}

function run(target, durationMs) {
  const started = performance.now()
  const deadline = started + durationMs
  let requests = 0
  let failures = 0
  let inFlight = 0
  return new Promise((resolve) => {
    const loop = (socket) => {
      if (socket.closed) {
        failures++
        if (inFlight === 0) resolve({ requests, failures, wallMs: performance.now() - started })
        return
      }
      inFlight++
      socket.send((status, length) => {
        inFlight--
        requests++
        target.expectedLength ??= length
        if (status !== 200 || length !== target.expectedLength) failures++
        if (performance.now() < deadline) {
          loop(socket)
        }
        else if (inFlight === 0) {
          resolve({ requests, failures, wallMs: performance.now() - started })
        }
      })
    }
    for (const socket of target.sockets) loop(socket)
  })
}

const lines = createInterface({ input: process.stdin })
for await (const line of lines) {
  const command = JSON.parse(line)
  let answer
  if (command.cmd === 'open') {
    answer = await open(command)
  }
  else if (command.cmd === 'run') {
    // Several ids: their loops run at the same time, started in the order given.
    answer = await Promise.all(command.ids.map(id => run(targets.get(id), command.durationMs)))
  }
  else {
    for (const target of targets.values()) for (const socket of target.sockets) socket.socket.destroy()
    process.stdout.write(`${JSON.stringify({ closed: true })}\n`)
    break
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`)
}
