const percent = (ratio, digits = 1) => (Number.isFinite(ratio) ? `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(digits)}%` : 'n/a')
const micros = value => (Number.isFinite(value) ? value.toFixed(1) : 'n/a')

/**
 * Tells whether a comparison meets its target: within the tolerance (median ratio); for a guard, A's cost over B's (the
 * inverse of the median ratio) at least its bound; or, for the sensitivity check, a difference detected (the
 * confidence interval of the median wholly above 1).
 * @param {any} comparison one result of measurePairs
 * @returns {boolean | null} null when it has no ratios
 */
export function pairMet(comparison) {
  const { median, ci95 } = comparison.ratio
  if (!Number.isFinite(median) || comparison.failed > 0) return Number.isFinite(median) ? false : null
  if (comparison.atLeast) return 1 / median >= comparison.atLeast
  return comparison.detect ? ci95[0] > 1 : Math.abs(median - 1) <= comparison.tolerance
}

/**
 * One line per comparison, for the targets list, in the shape of evaluateTargets' targets.
 * @param {{ comparisons: any[] } | undefined} pair what measurePairs returned
 * @returns {import('./targets.mjs').Target[]} the targets
 */
export function pairTargets(pair) {
  return (pair?.comparisons ?? []).map((c) => {
    const { median, ci95 } = c.ratio
    if (c.atLeast) {
      // A guard: what B's request costs against A's, as the rounds' ratio is read (A's µs over B's).
      // Three decimals: a ratio just under its bound (0.899) would read as met at two.
      const measured = `${(1 / median).toFixed(3)}× (95% CI ${(1 / ci95[1]).toFixed(3)}× to ${(1 / ci95[0]).toFixed(3)}×; ${micros(c.bUsPerRequest)} vs ${micros(c.aUsPerRequest)} µs per request, median of ${c.pairs.length} pair ratios in ${c.blockMedians.length} blocks: ${c.blockMedians.map(m => (1 / m).toFixed(2)).join(', ')}${c.failed ? `; ${c.failed} failed responses` : ''})`
      return { id: `pair-${c.id}`, target: c.target, measured, met: pairMet(c) }
    }
    const band = c.tolerance === null ? '' : `; CI ${ci95[0] >= 1 - c.tolerance && ci95[1] <= 1 + c.tolerance ? 'inside' : 'NOT inside'} ±${(c.tolerance * 100).toFixed(0)}%`
    const expected = c.addedUs ? `; B − A ${micros(c.differenceUs)} µs for ${c.addedUs} µs added, about ${percent(1 + c.addedUs / c.aUsPerRequest)}` : ''
    const measured = `${percent(median)} (95% CI ${percent(ci95[0])} to ${percent(ci95[1])}${band}; ${micros(c.bUsPerRequest)} vs ${micros(c.aUsPerRequest)} µs per request, median of ${c.pairs.length} pair ratios in ${c.blockMedians.length} block${c.blockMedians.length === 1 ? '' : 's'}: ${c.blockMedians.map(m => percent(m)).join(', ')}${expected}${c.failed ? `; ${c.failed} failed responses` : ''})`
    return { id: `pair-${c.id}`, target: c.target, measured, met: pairMet(c) }
  })
}

/**
 * Renders the paired measure as text.
 * @param {{ options: import('./pair.mjs').PairOptions, comparisons: any[] }} pair what measurePairs returned
 * @param {(header: string[], rows: (string | number)[][]) => string} table report.mjs' table layout (passed in, so that
 * the two files do not import each other)
 * @returns {string} the section of the report
 */
export function formatPairs(pair, table) {
  const { options } = pair
  const how = options.mode === 'together'
    ? `${options.pairs} intervals of ${options.interval} s with A and B under load at the same time`
    : `${options.pairs} pairs of ${options.interval} s intervals, A and B in turn in ABBA order`
  const out = [`Paired A/B: server CPU per response, ${how}, in ${options.blocks} block${options.blocks === 1 ? '' : 's'} (both servers started afresh for each, ${options.warmup} intervals discarded first); ${options.connections} keep-alive connections per server`]
  out.push(table(
    ['comparison', 'A', 'B', 'A µs/req', 'B µs/req', 'B − A µs', 'median B/A', 'per block', 'IQR', '95% CI', 'min … max', 'requests', 'failed'],
    pair.comparisons.map(c => [c.id, c.a.label, c.b.label, micros(c.aUsPerRequest), micros(c.bUsPerRequest), (c.differenceUs >= 0 ? '+' : '') + micros(c.differenceUs), percent(c.ratio.median, 2), c.blockMedians.map(m => percent(m)).join(' '), `${percent(c.ratio.q1)} … ${percent(c.ratio.q3)}`, `${percent(c.ratio.ci95[0], 2)} … ${percent(c.ratio.ci95[1], 2)}`, `${percent(c.ratio.min)} … ${percent(c.ratio.max)}`, c.requests.toLocaleString('en'), c.failed]),
  ))
  out.push(`µs/req: the server's CPU time (all threads, /proc schedstat) per response, median over pairs; B/A: per pair, B's µs/req over A's ${options.mode === 'together' ? 'in the same interval' : 'in the adjacent interval'}; CI: bootstrap of the median, blocks then pairs.`)
  return out.join('\n')
}
