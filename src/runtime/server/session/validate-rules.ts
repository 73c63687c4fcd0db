import { showOptionValue } from './options'

// The checks every option section shares: whole numbers with a range and unit, choices, booleans, nested sections.

/** Longest delay a Node.js timer takes; a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** A whole-number option: its range and unit, and what 0 means where 0 turns something off. */
export interface WholeNumber {
  min: 0 | 1
  max?: number
  unit?: string
  zero?: string
}

export type Rules = Record<string, WholeNumber>
export type Section = Record<string, unknown>
export type Report = (path: string[], text: string) => void

export function section(report: Report, path: string[], value: unknown): Section | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'object' && !Array.isArray(value)) return value as Section
  report(path, `${showOptionValue(value)} is invalid: use an object`)
  return undefined
}

export function checkNumbers(report: Report, path: string[], values: Section | undefined, rules: Rules) {
  for (const [key, rule] of Object.entries(rules)) {
    const value = values?.[key]
    if (value === undefined) continue
    // A number in a string (from code such as `maxAge: process.env.MAX_AGE`) is read with Number(), as before.
    const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
    const max = rule.max ?? Number.MAX_SAFE_INTEGER
    if (typeof number === 'number' && Number.isInteger(number) && number >= rule.min && number <= max) continue
    const range = rule.max ? `from ${rule.min} to ${rule.max}` : `${rule.min} or more`
    report([...path, key], `${showOptionValue(value)} is invalid: use a whole number${rule.unit ? ` of ${rule.unit}` : ''}, ${range}${rule.zero ? `; 0 means ${rule.zero}` : ''}`)
  }
}

export function checkChoice(report: Report, path: string[], value: unknown, choices: string[], given = value) {
  if (value === undefined || (typeof value === 'string' && choices.includes(value))) return
  const quoted = choices.map(choice => `'${choice}'`)
  report(path, `${showOptionValue(given)} is not supported: use ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`)
}

export function checkBoolean(report: Report, path: string[], value: unknown) {
  if (value !== undefined && typeof value !== 'boolean') {
    report(path, `${showOptionValue(value)} is invalid: use true or false`)
  }
}
