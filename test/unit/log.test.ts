import { createError } from 'h3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type * as Log from '../../src/runtime/server/log'

// Each function throws from a line of its own: a place an unexpected error comes from.
function failInOrders(i: number) {
  return new Error(`orders-db refused query ${i}`)
}
function failInPayments() {
  return new Error('payments timed out')
}

let errors: ReturnType<typeof vi.spyOn>
let logRateLimited: typeof Log.logRateLimited
let logUnexpectedError: typeof Log.logUnexpectedError

beforeEach(async () => {
  // A fresh module per test: none of the windows and kinds another test opened.
  vi.resetModules()
  const log = await import('../../src/runtime/server/log')
  ;({ logRateLimited, logUnexpectedError } = log)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2025-01-01T00:00:00Z'))
  errors = vi.spyOn(log.logger, 'error').mockImplementation(() => {})
})

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

function advance(ms: number) {
  vi.setSystemTime(Date.now() + ms)
}

describe('logUnexpectedError: a 500 cannot flood the log', () => {
  it('logs the first error of a place with its stack, only counts repeats for 10 s, then says how many there were', () => {
    const first = failInOrders(0)
    logUnexpectedError(first)
    for (let i = 1; i <= 49; i++) logUnexpectedError(failInOrders(i))
    expect(errors).toHaveBeenCalledTimes(1)
    expect(errors).toHaveBeenCalledWith('unexpected error', first)
    advance(9_999)
    logUnexpectedError(failInOrders(50))
    expect(errors).toHaveBeenCalledTimes(1)
    advance(1)
    const next = failInOrders(51)
    logUnexpectedError(next)
    expect(errors).toHaveBeenCalledTimes(2)
    expect(errors).toHaveBeenLastCalledWith('unexpected error (50 more since the last report)', next)
  })

  it('keeps places apart: another failure in the same window is logged with its own stack', () => {
    logUnexpectedError(failInOrders(1))
    const other = failInPayments()
    logUnexpectedError(other)
    logUnexpectedError(failInPayments())
    expect(errors).toHaveBeenCalledTimes(2)
    expect(errors).toHaveBeenLastCalledWith('unexpected error', other)
  })

  it('finds the place behind h3\'s wrapper, whatever the wrapper\'s own stack', () => {
    const wrapped = createError(failInOrders(1))
    logUnexpectedError(wrapped)
    logUnexpectedError(createError(failInOrders(2)))
    logUnexpectedError(failInOrders(3))
    expect(errors).toHaveBeenCalledTimes(1)
    expect(errors).toHaveBeenCalledWith('unexpected error', wrapped)
  })

  it('bounds what it remembers: errors without a stack and with ever new messages share one window past 200 kinds', () => {
    for (let i = 0; i < 1_000; i++) {
      const error = new Error(`attacker-chosen ${i}`)
      error.stack = undefined
      logUnexpectedError(error)
    }
    expect(errors.mock.calls.length).toBeLessThanOrEqual(201)
  })
})

describe('logRateLimited', () => {
  it('logs a line once per 10 s per kind, without an error unless one is given', () => {
    logRateLimited('store connection', 'connection lost', 'error')
    logRateLimited('store connection', 'connection lost', 'error')
    expect(errors).toHaveBeenCalledTimes(1)
    expect(errors).toHaveBeenCalledWith('connection lost')
  })
})
