// The test suite's MONITOR helper (Node runs the .ts file directly): commands as clients sent them, not the ones
// scripts run inside Redis.
import { monitorCommands } from '../../test/helpers/redis-monitor.ts'

// A session record: `<shop>:{g:<hash>}:s` or `<shop>:{u:<id>}:s:<hash>`, after any key prefix.
const SESSION_RECORD = /\{[gu]:[^}]+\}:s(?::[^:]+)?$/

/**
 * How many times one request reads a session record: each GET or MGET that a server sends for one, and each script
 * it calls on one (its first key). INFO commandstats cannot tell: it counts the GET a script runs on a basket record
 * like a GET of the session.
 * @param {import('./redis.mjs').BenchRedis} redis the server's Redis
 * @param {() => Promise<unknown>} work the request (it runs once more: it must only read)
 * @returns {Promise<number>} the session reads
 */
export async function countSessionReads(redis, work) {
  const commands = await monitorCommands(redis, work)
  return commands.filter(({ name, args }) => {
    if (name === 'get' || name === 'mget') return SESSION_RECORD.test(args[0] ?? '')
    if (name === 'evalsha' || name === 'eval') return Number(args[1]) > 0 && SESSION_RECORD.test(args[2] ?? '')
    return false
  }).length
}
