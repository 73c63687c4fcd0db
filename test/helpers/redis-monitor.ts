import type { RedisProcess } from './redis'

/** One command a client sent (commands run inside scripts are left out). */
export interface MonitoredCommand {
  name: string
  args: string[]
}

/**
 * Records the commands clients send while `work` runs, through Redis MONITOR on a dedicated connection.
 * @param redis the server
 * @param work the requests to observe
 * @returns the commands, in order
 */
export async function monitorCommands(redis: RedisProcess, work: () => Promise<unknown>): Promise<MonitoredCommand[]> {
  const client = redis.client()
  const monitor = await client.monitor()
  const seen: MonitoredCommand[] = []
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    // Script calls show up with a "lua" source; the monitoring connection's own commands are not sent here.
    if (!source.includes('lua')) seen.push({ name: String(args[0]).toLowerCase(), args: args.slice(1).map(String) })
  })
  try {
    await work()
    // MONITOR delivers asynchronously: a PING sent after the work comes back after everything before it.
    const probe = redis.client()
    await probe.ping('monitor-fence')
    probe.disconnect()
    await new Promise<void>((resolve) => {
      const check = () => (seen.some(c => c.name === 'ping' && c.args[0] === 'monitor-fence') ? resolve() : setImmediate(check))
      check()
    })
    return seen.filter(c => !(c.name === 'ping' && c.args[0] === 'monitor-fence') && !['info', 'client', 'hello', 'select'].includes(c.name))
  }
  finally {
    monitor.disconnect()
    client.disconnect()
  }
}
