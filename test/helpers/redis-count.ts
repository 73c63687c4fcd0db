import type { RedisProcess } from './redis'
import { monitorCommands } from './redis-monitor'

/** Commands the counting client itself issues. */
const OWN = new Set(['info', 'config|resetstat', 'config', 'client|setname', 'client|info', 'select', 'hello', 'ping'])

/** Commands a measured request caused: those the server sent, and every command Redis ran, scripts' calls included. */
export interface CommandCount {
  /** Commands the server sent (MONITOR, script calls left out): each one a round trip unless pipelined. */
  roundTrips: number
  /** Write commands Redis ran, inside scripts included. */
  writes: number
  /** Every command Redis ran, inside scripts included. */
  total: number
  /** Calls per command from `INFO commandstats`, inside scripts included. */
  byCommand: Record<string, number>
  /** Calls per command the server sent itself. */
  sent: Record<string, number>
}

const WRITES = /^(?:set|hset|hdel|del|unlink|pexpire|expire|zadd|zrem|zremrangebyscore|hincrby|sadd|srem|rename|setex|psetex|eval|evalsha)$/

/**
 * Counts the Redis commands one piece of work causes: `INFO commandstats` before and after for everything Redis ran,
 * MONITOR for what the server sent (a GET inside a script is no round trip; a GET the server sends is one).
 * @param redis the server
 * @param work the requests to measure
 * @returns the counts, with the counting clients' own commands left out
 */
export async function countCommands(redis: RedisProcess, work: () => Promise<unknown>): Promise<CommandCount> {
  const before = await redis.commandStats()
  const commands = await monitorCommands(redis, work)
  const after = await redis.commandStats()
  const byCommand: Record<string, number> = {}
  for (const [command, calls] of Object.entries(after)) {
    const delta = calls - (before[command] ?? 0)
    if (delta > 0 && !OWN.has(command) && command !== 'monitor') byCommand[command] = delta
  }
  const sent: Record<string, number> = {}
  for (const { name } of commands) sent[name] = (sent[name] ?? 0) + 1
  let writes = 0
  let total = 0
  for (const [command, calls] of Object.entries(byCommand)) {
    total += calls
    if (WRITES.test(command)) writes += calls
  }
  return { roundTrips: commands.length, writes, total, byCommand, sent }
}
