import { formatPageSections } from './page-report.mjs'
import { formatPairs } from './pair-report.mjs'

/**
 * Lays out rows as a plain-text table with aligned columns (numbers right-aligned).
 * @param {string[]} header
 * @param {(string | number)[][]} rows
 * @returns {string} the table
 */
export function table(header, rows) {
  const cells = [header, ...rows.map(row => row.map(cell => String(cell)))]
  const widths = header.map((_, i) => Math.max(...cells.map(row => (row[i] ?? '').length)))
  const filled = i => rows.map(row => String(row[i] ?? '')).filter(cell => !['', 'n/a', 'skipped'].includes(cell))
  const numeric = header.map((_, i) => filled(i).length > 0 && filled(i).every(cell => /^-?[\d.,]+$/.test(cell)))
  const line = row => row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()
  return [line(cells[0]), widths.map(w => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

// A key as the memory table shows it: from its owner's hash tag (or express-session's `sess:`) on, cut short.
const shortKey = key => key.slice(Math.max(0, key.indexOf('{'), key.indexOf('sess:'))).slice(0, 24)

const num = (value, digits = 0) => (Number.isFinite(value) ? value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a')

/**
 * Renders a whole run as text: throughput, store commands, destroy scaling, memory bound, targets.
 * @param {any} result what runBench returned
 * @returns {string} the report
 */
export function formatReport(result) {
  const out = []
  const { options, environment } = result
  out.push(`nuxt-storefront-session bench: Node ${environment.node}, Redis ${environment.redis}, ${environment.cpus}× ${environment.cpuModel}`)
  out.push(`servers pinned to CPU ${environment.serverCpu}, load generator to CPU ${environment.loadCpu}${environment.pinned ? '' : ' (taskset missing: NOT pinned)'}; load average ${environment.loadAverageStart.join(' ')} at start, ${environment.loadAverageEnd.join(' ')} at end`)
  if (result.throughput) {
    out.push('', `Throughput: ${options.rounds} round${options.rounds === 1 ? '' : 's'} × ${options.duration} s per variant, ${options.connections} connections, medians over rounds`)
    out.push(table(
      ['variant', 'req/s', 'p50 ms', 'p99 ms', '× floor', 'CPU µs/req', '× floor (CPU)', 'failed'],
      result.throughput.map(v => v.skipped
        ? [v.label, 'skipped', '', '', '', '', '', '']
        : [v.label, num(v.rps), num(v.p50, 1), num(v.p99, 1), num(v.ratio, 2), num(v.cpuUsPerRequest, 1), num(v.cpuRatio, 2), v.failed]),
    ))
    out.push('× floor: req/s over its floor\'s req/s in the same round (1-4 against 1, 5-6 against 6), median over rounds.')
    out.push('CPU µs/req: server CPU time per response; × floor (CPU): the floor\'s CPU µs/req over this one (steadier on a busy machine).')
    for (const v of result.throughput.filter(v => v.skipped)) out.push(`skipped ${v.label}: ${v.skipped}`)
  }
  if (result.commands) {
    out.push('', 'Store commands per request on Redis (built playground; round trips via a counting proxy, commands via INFO commandstats)')
    out.push(table(
      ['request', 'round trips', 'commands', 'reads', 'writes', 'scripts', 'Redis µs', 'by command'],
      result.commands.map(c => [c.label, c.roundTrips, c.commands, c.reads, c.writes, c.scripts, c.redisUs ?? 'n/a', `${Object.entries(c.byCommand).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}${c.check ? ` UNEXPECTED: ${c.check}` : ''}`]),
    ))
  }
  if (result.shopperMemory) {
    out.push('', `Redis memory per shopper: MEMORY USAGE of the shopper's keys; used_memory growth over ${num(result.shopperMemory[0]?.population)} copies, per shopper`)
    out.push(table(
      ['store', 'shopper', 'keys', 'bytes', 'bytes in population', 'by key'],
      result.shopperMemory.map(m => [m.store, m.shopper, m.keys.length, m.bytes, m.populationBytesPerShopper, m.keys.map(k => `${shortKey(k.key)} ${k.type} ${k.bytes}`).join(', ')]),
    ))
  }
  if (result.scaling) {
    out.push('', `destroySessionsForUserId scaling: one user's 10 sessions destroyed through the Redis store, median of ${options.scaling.repeats}`)
    out.push(table(
      ['sessions in store', 'keys', 'fill s', 'median ms', 'p90 ms', 'min ms', 'max ms', 'in Redis µs'],
      result.scaling.map(p => [num(p.sessions), num(p.keys), num(p.fillSeconds, 1), num(p.medianMs, 3), num(p.p90Ms, 3), num(p.minMs, 3), num(p.maxMs, 3), num(p.redisUsPerCall, 1)]),
    ))
    out.push('ms: one removeUserSessions call as the app sees it, round trip included; in Redis µs: the script\'s own run time per call (INFO commandstats).')
  }
  if (result.memory) {
    const m = result.memory
    out.push('', `Memory store bound: ${num(m.sessions)} guest sessions (TTL ${m.ttlMs / 1000} s) into the embedded memory driver, maxEntries ${num(m.maxEntries)}`)
    out.push(table(
      ['inserted in s', 'max entries seen', 'entries after sweep', 'RSS base MB', 'RSS peak MB', 'RSS after MB', 'heap base MB', 'heap peak MB', 'heap after MB'],
      [[num(m.insertSeconds, 1), num(m.maxEntriesSeen), num(m.entriesAfterSweep), num(m.baselineRssMb, 1), num(m.peakRssMb, 1), num(m.afterRssMb, 1), num(m.baselineHeapMb, 1), num(m.peakHeapMb, 1), num(m.afterHeapMb, 1)]],
    ))
    if (result.memoryLru) {
      const l = result.memoryLru
      out.push('', 'The same run into unstorage\'s lru-cache driver (global TTL = the sessions\' TTL, ttlAutopurge, max = maxEntries):')
      out.push(table(
        ['inserted in s', 'max entries seen', 'entries after expiry', 'RSS peak MB', 'RSS after MB', 'heap peak MB', 'heap after MB'],
        [[num(l.insertSeconds, 1), num(l.maxEntriesSeen), num(l.entriesAfterSweep), num(l.peakRssMb, 1), num(l.afterRssMb, 1), num(l.peakHeapMb, 1), num(l.afterHeapMb, 1)]],
      ))
    }
    out.push(`after: once every session expired and the driver swept${m.gc ? ', after global.gc()' : ' (run without --expose-gc: no forced GC)'}. heap: V8's live objects; V8 had ${num(m.peakHeapTotalMb, 1)} MB committed at the peak, ${num(m.afterHeapTotalMb, 1)} MB after.`)
    out.push('RSS keeps pages V8 has freed but not yet returned (pooled, or released lazily): it is the high-water mark, not what the entries hold.')
  }
  if (result.durable) {
    const d = result.durable
    out.push('', `Durable writes: session updates through the Redis store on a local primary + replica, ${options.durable.concurrency} concurrent writers, medians over ${options.durable.rounds} rounds of ${options.durable.duration} s`)
    out.push(table(
      ['mode', 'writes/s', 'p50 ms', 'p99 ms', 'CPU µs/write', 'writes'],
      d.modes.map(m => [m.mode === 'durable' ? 'durable (waitForReplicas 1)' : 'default', num(m.writesPerSecond), num(m.p50Ms, 2), num(m.p99Ms, 2), num(m.cpuUsPerWrite, 1), num(m.writes)]),
    ))
    out.push(`durable / default: ${num(d.ratio.writesPerSecond, 2)}× the writes per second, ${num(d.ratio.p50Ms, 2)}× the median latency, ${num(d.ratio.cpuUsPerWrite, 2)}× the CPU per write (the bench process, which runs the store).`)
  }
  out.push(...formatPageSections(result))
  if (result.pair) out.push('', formatPairs(result.pair, table))
  if (result.targets?.length) {
    out.push('', 'Targets')
    out.push(table(['', 'target', 'measured'], result.targets.map(t => [t.met === null ? 'n/a' : t.met ? 'MET' : 'MISSED', t.target, t.measured])))
  }
  out.push('', `total ${num(result.durationSeconds, 0)} s`)
  return out.join('\n')
}
