import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import fc from 'fast-check'
import { createEvent } from 'h3'
import { createStorage } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { resolveShops } from '../../src/runtime/server/session/config'
import { constantTimeEqual, decodeCookieValue, readCookieValues, readRawCookieValue, SEVERAL_VALUES, signSessionId, unsignSessionId } from '../../src/runtime/server/session/cookie'
import { createGuestId, createUserSessionId } from '../../src/runtime/server/session/id'
import { storefrontMemoryDriver, createSessionStore } from '../../src/runtime/server/store'
import { loadSession } from '../../src/runtime/server/session/session'

const OLD = 'old-secret-0123456789abcdefghijklmnop'
const NEW = 'new-secret-0123456789abcdefghijklmnop'
const id = createGuestId()

function hmac(value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url')
}

describe('signSessionId / unsignSessionId', () => {
  it('round-trips guest and user ids', () => {
    const userId = createUserSessionId('user_42')
    expect(unsignSessionId(signSessionId(id, NEW), [NEW])).toBe(id)
    expect(unsignSessionId(signSessionId(userId, NEW), [NEW])).toBe(userId)
  })

  it('splits at the last dot, so an id may contain dots', () => {
    expect(unsignSessionId(signSessionId('a.b.c', NEW), [NEW])).toBe('a.b.c')
  })

  it('uses the layout s:<id>.<base64url HMAC-SHA256 of the id>', () => {
    const value = signSessionId(id, NEW)
    const signature = hmac(id, NEW)
    expect(signature).toMatch(/^[\w-]{43}$/)
    expect(value).toBe(`s:${id}.${signature}`)
  })

  it('refuses a tampered id', () => {
    const value = signSessionId(id, NEW)
    const otherId = createGuestId()
    expect(unsignSessionId(value.replace(id, otherId), [NEW])).toBeNull()
    const flipped = id.slice(0, -1) + (id.endsWith('0') ? '1' : '0')
    expect(unsignSessionId(value.replace(id, flipped), [NEW])).toBeNull()
  })

  it('refuses a tampered signature', () => {
    const value = signSessionId(id, NEW)
    for (const position of [value.length - 43, value.length - 20, value.length - 1]) {
      const char = value[position] === 'A' ? 'B' : 'A'
      const tampered = value.slice(0, position) + char + value.slice(position + 1)
      expect(unsignSessionId(tampered, [NEW])).toBeNull()
    }
  })

  it('refuses truncated values', () => {
    const value = signSessionId(id, NEW)
    expect(unsignSessionId(value.slice(0, -1), [NEW])).toBeNull()
    expect(unsignSessionId(value.slice(0, value.lastIndexOf('.')), [NEW])).toBeNull()
    expect(unsignSessionId(`s:.${hmac('', NEW)}`, [NEW])).toBeNull()
    expect(unsignSessionId('s:', [NEW])).toBeNull()
    expect(unsignSessionId('', [NEW])).toBeNull()
  })

  it('refuses a value without the s: prefix, even with a valid signature', () => {
    const signature = hmac(id, NEW)
    expect(unsignSessionId(`${id}.${signature}`, [NEW])).toBeNull()
    expect(unsignSessionId(`x:${id}.${signature}`, [NEW])).toBeNull()
    expect(unsignSessionId(`S:${id}.${signature}`, [NEW])).toBeNull()
  })

  it('refuses an oversized value, even with a valid signature', () => {
    const bigId = 'a'.repeat(8 * 1024)
    expect(unsignSessionId(signSessionId(bigId, NEW), [NEW])).toBeNull()
    expect(unsignSessionId(`s:${'x'.repeat(64 * 1024)}`, [NEW])).toBeNull()
  })

  it('refuses unicode and control characters smuggled into a signed value', () => {
    const value = signSessionId(id, NEW)
    const dot = value.lastIndexOf('.')
    const variants = [
      `${value.slice(0, dot)}\u0000${value.slice(dot)}`,
      `${value.slice(0, dot)}\n${value.slice(dot)}`,
      `${value.slice(0, 4)}\u200B${value.slice(4)}`,
      // Same character count, different bytes: a homoglyph in the signature.
      `${value.slice(0, -1)}\u00E9`,
      `${value.slice(0, -1)}\u0000`,
      `${value} `,
      `\uFEFF${value}`,
    ]
    for (const variant of variants) {
      expect(unsignSessionId(variant, [NEW])).toBeNull()
    }
  })

  it('refuses a value signed with another secret, and any value when no secret is accepted', () => {
    expect(unsignSessionId(signSessionId(id, OLD), [NEW])).toBeNull()
    expect(unsignSessionId(signSessionId(id, NEW), [])).toBeNull()
  })

  describe('rotation', () => {
    const signedWithOld = signSessionId(id, OLD)

    it('verifies against every secret still listed, in any order', () => {
      expect(unsignSessionId(signedWithOld, [OLD])).toBe(id)
      expect(unsignSessionId(signedWithOld, [OLD, NEW])).toBe(id)
      expect(unsignSessionId(signedWithOld, [NEW, OLD])).toBe(id)
    })

    it('refuses the old secret once it is dropped', () => {
      expect(unsignSessionId(signedWithOld, [NEW])).toBeNull()
    })

    it('the engine signs new cookies with the last secret of the list', async () => {
      const shop = resolveShops({ session: { secret: [OLD, NEW] } }, { production: false }).byId.get('1001')!
      const driver = storefrontMemoryDriver({ sweepIntervalMs: 0 })
      const storage = createStorage({ driver })
      const store = createSessionStore(storage, driver, { nativeTtl: true, sweepIntervalMs: 0 })
      const req = new IncomingMessage(new Socket())
      req.url = '/'
      req.headers = {}
      const event = createEvent(req, new ServerResponse(req))

      const session = await loadSession(event, shop, store)
      session.put('visited', true)
      await session.commit()

      const header = String(event.node.res.getHeader('set-cookie'))
      const value = decodeURIComponent(/^\$session-1001=([^;]+)/.exec(header)![1]!)
      expect(value).toBe(`s:${session.id}.${hmac(session.id, NEW)}`)
      expect(unsignSessionId(value, [NEW])).toBe(session.id)
      expect(unsignSessionId(value, [OLD])).toBeNull()
      await storage.dispose()
    })
  })
})

describe('constantTimeEqual', () => {
  it('tells equal from unequal strings', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true)
    expect(constantTimeEqual('', '')).toBe(true)
    expect(constantTimeEqual('abc', 'abd')).toBe(false)
    expect(constantTimeEqual('abc', 'Abc')).toBe(false)
  })

  it('returns false for different lengths, in characters or in bytes', () => {
    expect(constantTimeEqual('abc', 'abcd')).toBe(false)
    expect(constantTimeEqual('', 'a')).toBe(false)
    expect(constantTimeEqual('ab', '\u00E9')).toBe(false)
    expect(constantTimeEqual('a\u00E9', 'ae')).toBe(false)
  })

  describe('source structure (timing cannot be measured reliably in a unit test)', () => {
    const source = readFileSync(new URL('../../src/runtime/server/session/cookie.ts', import.meta.url), 'utf8')

    it('constantTimeEqual is built on crypto.timingSafeEqual', () => {
      const body = blockAfter(source, 'export function constantTimeEqual(')
      expect(source).toMatch(/import \{[^}]*\btimingSafeEqual\b[^}]*\} from 'node:crypto'/)
      expect(body).toMatch(/return timingSafeEqual\(left, right\)/)
      expect(body).not.toMatch(/===\s*[ab]\b|\b[ab]\s*===/)
    })

    it('unsignSessionId tries every secret without leaving the loop early', () => {
      const body = blockAfter(source, 'export function unsignSessionId(')
      const loop = blockAfter(body, 'for (const secret of secrets)')
      expect(loop).toContain('constantTimeEqual(')
      expect(loop).not.toMatch(/\breturn\b|\bbreak\b/)
    })
  })
})

describe('readCookieValues', () => {
  const name = '$session-1001'

  it('returns every value of a duplicated name, in header order', () => {
    expect(readCookieValues(`${name}=first; other=x; ${name}=second`, name)).toEqual(['first', 'second'])
  })

  it('returns nothing for a missing header or name', () => {
    expect(readCookieValues(undefined, name)).toEqual([])
    expect(readCookieValues('', name)).toEqual([])
    expect(readCookieValues('other=x; flag', name)).toEqual([])
  })

  it('unquotes quoted values', () => {
    expect(readCookieValues(`${name}="s:abc.def"`, name)).toEqual(['s:abc.def'])
    expect(readCookieValues(`${name}=""`, name)).toEqual([''])
  })

  it('percent-decodes values', () => {
    const value = signSessionId(id, NEW)
    expect(readCookieValues(`${name}=${encodeURIComponent(value)}`, name)).toEqual([value])
    expect(readCookieValues(`${name}=caf%C3%A9%20x`, name)).toEqual(['café x'])
  })

  it('keeps a malformed percent sequence as it is instead of throwing', () => {
    expect(readCookieValues(`${name}=%E0%A4%A; ${name}=100%`, name)).toEqual(['%E0%A4%A', '100%'])
  })

  it('ignores names that merely share a prefix or a suffix', () => {
    const header = `${name}0=a; x${name}=b; ${name.slice(0, -1)}=c; ${name}=d`
    expect(readCookieValues(header, name)).toEqual(['d'])
  })
})

describe('readRawCookieValue', () => {
  const name = '$session-1001'
  // The raw reader, decoded: comparable with readCookieValues.
  const readCookieValue = (header: string | undefined, cookieName: string) => {
    const raw = readRawCookieValue(header, cookieName)
    return typeof raw === 'string' ? decodeCookieValue(raw) : raw
  }
  // What readCookieValues says, in readCookieValue's terms.
  const expected = (header: string) => {
    const values = readCookieValues(header, name)
    return values.length > 1 ? SEVERAL_VALUES : values[0]
  }

  it('answers as readCookieValues does for the usual headers', () => {
    const value = signSessionId(id, NEW)
    for (const header of [
      `${name}=${value}`,
      `a=1; ${name}=${value}; b=2`,
      `a=1;${name}=${value}`,
      `a=1;  ${name}=${value}`,
      `\t${name}=${value}`,
      `${name} =${value}`,
      `${name}=first; ${name}=second`,
      `x${name}=b`,
      `other=${name}=c`,
      `${name}="${value}"`,
      `${name}=caf%C3%A9`,
      `${name}=`,
      `${name}`,
    ]) {
      expect(readCookieValue(header, name), header).toEqual(expected(header))
    }
    expect(readCookieValue(undefined, name)).toBeUndefined()
    expect(readCookieValue('', name)).toBeUndefined()
  })

  it('agrees with readCookieValues on generated headers', () => {
    const piece = fc.constantFrom(name, `x${name}`, `${name}0`, '=', ';', ' ', '\t', '"', '%', '%41', 'a', 's:v.sig', 'other')
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }).map(parts => parts.join('')), (header) => {
      expect(readCookieValue(header, name)).toEqual(expected(header))
    }), { numRuns: 5000 })
  })
})

/** The text of the `{ … }` block that follows `marker`, braces balanced. */
function blockAfter(text: string, marker: string): string {
  const start = text.indexOf(marker)
  expect(start, `${marker} not found`).toBeGreaterThanOrEqual(0)
  const open = text.indexOf('{', text.indexOf(')', start + marker.length - 1))
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return text.slice(open, i + 1)
  }
  throw new Error(`unbalanced block after ${marker}`)
}
