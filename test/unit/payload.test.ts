import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, parseJsonSafely } from '../../src/runtime/server/rpc/payload'
import { nestingDepth, pollutedJson, stripPolluting } from '../helpers/fuzz'

describe('parseJsonSafely', () => {
  it('strips polluting keys spelled with escapes, which the fast path cannot see', () => {
    // Each text on its own: none spells a polluting key out, so only the backslash sends it to the reviver.
    for (const key of ['\\u005f_proto__', 'constr\\u0075ctor', 'prot\\u006ftype']) {
      const parsed = parseJsonSafely(`{"${key}":{"polluted":1},"ok":"\\u0041"}`) as Record<string, unknown>
      expect(Object.keys(parsed), key).toEqual(['ok'])
      expect(parsed.ok).toBe('A')
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    }
  })

  it('parses text without those keys as JSON.parse does', () => {
    const text = '{"payload":{"variantId":101,"quantity":2,"note":"protocol, constructive"},"list":[1,{"a":null}]}'
    expect(parseJsonSafely(text)).toEqual(JSON.parse(text))
  })

  it('agrees with stripping after a plain parse, on generated polluted texts', () => {
    fc.assert(fc.property(pollutedJson, (text) => {
      expect(parseJsonSafely(text)).toEqual(stripPolluting(JSON.parse(text)))
    }), { numRuns: 2000 })
  })

  it('takes nesting up to the limit, and answers deeper nesting with a 400', () => {
    const nested = (levels: number) => `${'['.repeat(levels - 1)}{"a":"[[{"}${']'.repeat(levels - 1)}`
    expect(nestingDepth(nested(MAX_JSON_DEPTH))).toBe(MAX_JSON_DEPTH)
    expect(() => parseJsonSafely(nested(MAX_JSON_DEPTH))).not.toThrow()
    expect(() => parseJsonSafely(nested(MAX_JSON_DEPTH + 1))).toThrow(expect.objectContaining({ statusCode: 400 }))
    expect(() => parseJsonSafely(`{"__proto__":${nested(20_000)}}`)).toThrow(expect.objectContaining({ statusCode: 400 }))
  })

  it('answers text that is not JSON with a 400', () => {
    expect(() => parseJsonSafely('{"a":')).toThrow(expect.objectContaining({ statusCode: 400 }))
  })
})
