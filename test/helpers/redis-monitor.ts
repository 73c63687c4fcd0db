import { connect } from 'node:net'
import type { RedisProcess } from './redis'

/** One command a client sent (commands run inside scripts are left out). */
export interface MonitoredCommand {
  name: string
  args: string[]
}

/**
 * Records the commands clients send while `work` runs, through Redis MONITOR on a raw connection of its own. Not
 * ioredis's `monitor()`: it switches to monitor mode one tick after MONITOR's OK, so a command another client sends
 * in that instant (the module's own `INFO memory`, say) arrives in the same chunk and fails with "Command queue state
 * error".
 * @param redis the server
 * @param work the requests to observe
 * @returns the commands, in order
 */
export async function monitorCommands(redis: RedisProcess, work: () => Promise<unknown>): Promise<MonitoredCommand[]> {
  const socket = connect(redis.port, '127.0.0.1')
  socket.setEncoding('latin1')
  const seen: MonitoredCommand[] = []
  let buffer = ''
  let monitoring!: () => void
  const ready = new Promise<void>((resolve, reject) => {
    monitoring = resolve
    socket.once('error', reject)
  })
  socket.on('data', (chunk: string) => {
    buffer += chunk
    for (let end = buffer.indexOf('\r\n'); end !== -1; end = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      if (line === '+OK') {
        monitoring()
        continue
      }
      const command = parseMonitorLine(line)
      // Script calls show up with a "lua" source.
      if (command && !command.source.includes('lua')) seen.push({ name: command.args[0]!.toLowerCase(), args: command.args.slice(1) })
    }
  })
  socket.write('MONITOR\r\n')
  try {
    await ready
    await work()
    // MONITOR delivers asynchronously: a PING sent after the work comes back after everything before it.
    const probe = redis.client()
    await probe.ping('monitor-fence')
    probe.disconnect()
    await new Promise<void>((resolve) => {
      const check = () => (seen.some(c => c.name === 'ping' && c.args[0] === 'monitor-fence') ? resolve() : setTimeout(check, 1))
      check()
    })
    return seen.filter(c => !(c.name === 'ping' && c.args[0] === 'monitor-fence') && !['info', 'client', 'hello', 'select'].includes(c.name))
  }
  finally {
    socket.destroy()
  }
}

const ESCAPES: Record<string, string> = { 'n': '\n', 'r': '\r', 't': '\t', 'a': '\x07', 'b': '\b', '\\': '\\', '"': '"' }

/**
 * Parses one MONITOR line: `+<time> [<db> <source>] "<arg>" "<arg>" …`, each argument quoted as Redis's sdscatrepr
 * writes it.
 * @param line the line, without its CRLF
 * @returns the source and the arguments, or undefined for any other line
 */
function parseMonitorLine(line: string): { source: string, args: string[] } | undefined {
  const head = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] /.exec(line)
  if (!head) return undefined
  const args: string[] = []
  let i = head[0].length
  while (i < line.length && line[i] === '"') {
    let arg = ''
    i++
    while (i < line.length && line[i] !== '"') {
      if (line[i] === '\\') {
        const next = line[i + 1]!
        if (next === 'x') {
          arg += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16))
          i += 4
          continue
        }
        arg += ESCAPES[next] ?? next
        i += 2
        continue
      }
      arg += line[i]
      i++
    }
    args.push(arg)
    i += 2
  }
  return args.length > 0 ? { source: head[1]!, args } : undefined
}
