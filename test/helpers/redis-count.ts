import type { RedisProcess } from './redis'

/**
 * Commands the module's Redis store sends itself, one round trip each. Everything else it causes runs inside its
 * scripts (commandstats counts those calls too, but they cost no round trip).
 */
const TOP_LEVEL = new Set(['hgetall', 'evalsha', 'eval', 'get', 'mget', 'multi'])
/** Commands the counting client itself issues. */
const OWN = new Set(['info', 'config|resetstat', 'config', 'client|setname', 'client|info', 'select', 'hello', 'ping'])

/** Commands a measured request caused, split into round trips and commands run inside scripts. */
export interface CommandCount {
  roundTrips: number
  writes: number
  total: number
  byCommand: Record<string, number>
}

const WRITES = /^(?:set|hset|hdel|del|unlink|pexpire|expire|zadd|zrem|zremrangebyscore|hincrby|sadd|srem|rename|setex|psetex|eval|evalsha)$/

/**
 * Counts the Redis commands one piece of work causes, with `INFO commandstats` before and after.
 * @param redis the server
 * @param work the requests to measure
 * @returns the counts, with the counting client's own commands left out
 */
export async function countCommands(redis: RedisProcess, work: () => Promise<unknown>): Promise<CommandCount> {
  const before = await redis.commandStats()
  await work()
  const after = await redis.commandStats()
  const byCommand: Record<string, number> = {}
  for (const [command, calls] of Object.entries(after)) {
    const delta = calls - (before[command] ?? 0)
    if (delta > 0 && !OWN.has(command)) byCommand[command] = delta
  }
  let roundTrips = 0
  let writes = 0
  let total = 0
  for (const [command, calls] of Object.entries(byCommand)) {
    total += calls
    if (TOP_LEVEL.has(command)) roundTrips += calls
    if (WRITES.test(command)) writes += calls
  }
  return { roundTrips, writes, total, byCommand }
}
