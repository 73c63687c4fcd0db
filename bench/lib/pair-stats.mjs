import { readdirSync, readFileSync } from 'node:fs'
import { cpuTimeMs } from './cpu.mjs'
import { median, percentile } from './stats.mjs'

/**
 * CPU time a process has used so far, in nanoseconds: the sum over its threads of the scheduler's run time
 * (`/proc/<pid>/task/<tid>/schedstat`), which counts to the nanosecond, where `/proc/<pid>/stat` counts in clock
 * ticks (10 ms, 0.7% of a 1.5 s interval). Falls back to `/proc/<pid>/stat` without schedstats.
 * @param {number} pid the process
 * @returns {number | null} nanoseconds, or null where /proc is missing
 */
export function cpuTimeNs(pid) {
  try {
    let total = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    }
    if (Number.isFinite(total) && total > 0) return total
  }
  catch {
    // No schedstat (or the process is gone): the tick counter, if any.
  }
  const ms = cpuTimeMs(pid)
  return ms === null ? null : ms * 1e6
}

// mulberry32: a small seeded generator, so that a run's confidence interval can be recomputed from its pairs.
function random(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A percentile bootstrap confidence interval of the median. With one group, the values are resampled with replacement;
 * with several (one per pair of server processes), the groups are resampled first and then the values within each, so
 * that the interval also holds the difference between one start of the servers and the next.
 * @param {number[][]} groups the ratios, per group
 * @param {{ resamples?: number, level?: number, seed?: number }} [options] 95% over 5,000 resamples by default
 * @returns {[number, number]} the interval's low and high ends
 */
export function bootstrapMedian(groups, { resamples = 5000, level = 0.95, seed = 1 } = {}) {
  if (groups.flat().length === 0) return [Number.NaN, Number.NaN]
  const next = random(seed)
  const pick = values => values[Math.floor(next() * values.length)]
  const medians = []
  for (let r = 0; r < resamples; r++) {
    const sample = []
    for (let g = 0; g < groups.length; g++) {
      const group = groups.length === 1 ? groups[0] : pick(groups)
      for (let i = 0; i < group.length; i++) sample.push(pick(group))
    }
    medians.push(median(sample))
  }
  const tail = ((1 - level) / 2) * 100
  return [percentile(medians, tail), percentile(medians, 100 - tail)]
}

/**
 * @typedef {object} RatioSummary
 * @property {number} median the median of the per-pair ratios
 * @property {number} q1 their first quartile
 * @property {number} q3 their third quartile
 * @property {number} min the smallest
 * @property {number} max the largest
 * @property {[number, number]} ci95 the 95% bootstrap confidence interval of the median
 */

/**
 * Summarises per-pair ratios: median, quartiles, extremes and a bootstrap confidence interval of the median.
 * @param {number[][]} groups B over A, one per pair, grouped by block
 * @returns {RatioSummary} the summary
 */
export function summariseRatios(groups) {
  const ratios = groups.flat()
  return {
    median: median(ratios),
    q1: percentile(ratios, 25),
    q3: percentile(ratios, 75),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    ci95: bootstrapMedian(groups),
  }
}
