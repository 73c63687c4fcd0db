import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { defaultOptions } from '../../src/runtime/server/session/options'

// playground/.env.example lists every variable the README's options table sets from the environment, so that it
// cannot fall behind the options again (it once missed the cookie name, the transports, the Sentinel and TLS group…).
const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')
const EXAMPLE = readFileSync(fileURLToPath(new URL('../../playground/.env.example', import.meta.url)), 'utf8')

function optionsTableRows(): string[] {
  const section = README.slice(README.indexOf('\n## Options\n'))
  const table = section.slice(section.indexOf('\n| option |'))
  const rows: string[] = []
  for (const line of table.split('\n').slice(1)) {
    if (!line.startsWith('|')) break
    rows.push(line)
  }
  return rows
}

// The env column of a row: the third cell.
function envNames(row: string): string[] {
  const cell = row.split(' | ')[2] ?? ''
  return [...cell.matchAll(/NUXT_STOREFRONT_[A-Z0-9_<>]+/g)].map(match => match[0])
}

// A variable, set or commented out: `NAME=` or `# NAME=` at the start of a line.
function listed(name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^(?:# )?${escaped}=`, 'm').test(EXAMPLE)
}

describe('playground/.env.example', () => {
  const rows = optionsTableRows()
  const names = rows.flatMap(envNames)

  it('reads the README options table', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40)
    expect(names).toContain('NUXT_STOREFRONT_SESSION_SECRET')
    expect(names).toContain('NUXT_STOREFRONT_STORAGE_SESSION_TLS_KEY')
  })

  it('lists every NUXT_* variable of the README options table', () => {
    const fixed = names.filter(name => !name.includes('<'))
    expect(fixed.filter(name => !listed(name))).toEqual([])
  })

  it('shows per-shop variables by example', () => {
    expect(names).toContain('NUXT_STOREFRONT_SHOPS_<ID>_')
    expect(EXAMPLE).toMatch(/^# NUXT_STOREFRONT_SHOPS_1002_SESSION_[A-Z_]+=/m)
    expect(EXAMPLE).toMatch(/^# NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_[A-Z_]+=/m)
  })

  it('lists the other variables the playground reads', () => {
    for (const name of ['REDIS_URL', 'STOREFRONT_BENCH_FLOOR', 'PORT']) expect(listed(name), name).toBe(true)
  })
})

// The options table's default column is what the module applies: each default written as a literal (a number, a
// quoted string, a boolean, an empty list) is the value in defaultOptions.
describe('the README options table', () => {
  it('gives the defaults the module applies', () => {
    const checked: string[] = []
    const wrong: string[] = []
    for (const row of optionsTableRows().slice(2)) {
      const cells = row.split(' | ')
      const path = /^\| `([\w.]+)`$/.exec(cells[0]!.trim())?.[1]
      const literal = /^`([^`]*)`/.exec((cells[1] ?? '').trim())?.[1]
      if (!path || literal === undefined) continue
      let value: unknown = defaultOptions
      for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key]
      if (value === undefined || (typeof value === 'object' && !Array.isArray(value))) continue
      const documented = literal === '[]' ? [] : /^'.*'$/.test(literal) ? literal.slice(1, -1) : JSON.parse(literal)
      checked.push(path)
      if (JSON.stringify(documented) !== JSON.stringify(value)) wrong.push(`${path}: README ${literal}, module ${JSON.stringify(value)}`)
    }
    expect(checked).toContain('rpc.idempotencyLimit')
    expect(checked.length).toBeGreaterThanOrEqual(25)
    expect(wrong).toEqual([])
  })
})
