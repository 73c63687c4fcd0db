import { builtinDriverPath, DRIVER_CHOICES, isDriverInstance } from '../store/drivers'
import { readRedisNodes } from '../store/redis-nodes'
import { readTls } from '../store/redis-options'
import { showOptionValue } from './options'
import { checkNumbers, MAX_TIMER_MS, section } from './validate-rules'
import type { Report, Rules, Section } from './validate-rules'

// Options of the embedded memory store, checked when given.
const MEMORY_NUMBERS: Rules = {
  maxEntries: { min: 1 },
  sweepIntervalMs: { min: 0, max: MAX_TIMER_MS, unit: 'milliseconds', zero: 'no background sweep' },
}
const STORAGE_NUMBERS: Rules = { waitForReplicas: { min: 0, zero: 'writes are acknowledged without waiting for replicas' } }

/**
 * Checks a `storage.session` section (top level or a shop's).
 * @param report where problems go
 * @param path the option path
 * @param value the section
 * @param topLevel the top-level section, whose `name` a shop's sentinels may use
 */
export function checkStorage(report: Report, path: string[], value: unknown, topLevel: unknown) {
  const storage = section(report, path, value)
  if (!storage) return
  const driver = storage.driver
  if (driver !== undefined && driver !== '' && driver !== 'memory' && !isDriverInstance(driver) && !builtinDriverPath(driver)) {
    report([...path, 'driver'], `${showOptionValue(driver)} is not supported: ${DRIVER_CHOICES}`)
  }
  checkNumbers(report, path, storage, MEMORY_NUMBERS)
  checkNumbers(report, path, storage, STORAGE_NUMBERS)
  checkRole(report, [...path, 'role'], storage.role)
  const { problems: tlsProblems } = readTls(storage.tls, storage.url, [...path, 'tls'])
  for (const problem of tlsProblems) problems(report, problem)
  const cluster = checkNodes(report, [...path, 'cluster'], storage.cluster)
  const sentinels = checkNodes(report, [...path, 'sentinels'], storage.sentinels)
  if (cluster && Number(storage.waitForReplicas) > 0) {
    report([...path, 'waitForReplicas'], 'is not supported with cluster yet: WAIT must reach the node that took each write; use it with a primary and its replicas, or Sentinel')
  }
  if (cluster && sentinels) {
    report([...path, 'sentinels'], 'cannot be combined with cluster: configure one of them')
  }
  else if (sentinels && !storage.name && !(topLevel as Section | undefined)?.name) {
    report([...path, 'name'], 'is missing: sentinels need the name of the master group, e.g. "mymaster"')
  }
}

// The module writes every request that changes a session: a replica (ioredis' role 'slave') answers each write with
// READONLY, which reconnects to the same replica, and the shopper gets a 503.
function checkRole(report: Report, path: string[], role: unknown) {
  if (role === undefined || role === null || role === '' || role === 'master') return
  const why = role === 'slave' ? ': the module writes to the store, and a replica refuses every write (READONLY)' : ''
  report(path, `${showOptionValue(role)} is not supported${why}; use 'master' or leave it empty`)
}

// readTls reports whole lines that already name the option and its variable.
function problems(report: Report, line: string) {
  const [path, ...text] = line.split(' ')
  const withoutVariable = text.join(' ').replace(/ \(set NUXT_[A-Z0-9_]+\)$/, '')
  report(path!.split('.'), withoutVariable)
}

function checkNodes(report: Report, path: string[], value: unknown): boolean {
  const { nodes, problems } = readRedisNodes(value)
  if (problems.length > 0) {
    report(path, `is invalid: ${problems.join('; ')}; use host:port,host:port or a list of { host, port }`)
  }
  return Boolean(nodes)
}
