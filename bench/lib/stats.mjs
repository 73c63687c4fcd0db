/**
 * The median of some numbers (the mean of the middle two for an even count).
 * @param {number[]} values
 * @returns {number} the median, NaN for none
 */
export function median(values) {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * A percentile by the nearest-rank method.
 * @param {number[]} values
 * @param {number} p 0 to 100
 * @returns {number} the percentile, NaN for none
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}
