import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SessionInputError } from '../../src/runtime/server/session/errors'
import { createGuestId, createUserSessionId, hashSessionId, isValidUserId, parseSessionId } from '../../src/runtime/server/session/id'
import { sessionKeys } from '../../src/runtime/server/store'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const SAFE_USER_ID = /^[\w-]{1,64}$/
const V1_UUID = 'c232ab00-9414-11ec-b3c8-9f6bdeced846'

describe('createGuestId', () => {
  it('is a lowercase UUID v4, different every time', () => {
    const ids = Array.from({ length: 100 }, createGuestId)
    for (const id of ids) expect(id).toMatch(UUID_V4)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('createUserSessionId', () => {
  it('is <userId>:<uuid v4>', () => {
    const id = createUserSessionId('user_42-A')
    const [userId, uuid, ...rest] = id.split(':')
    expect(userId).toBe('user_42-A')
    expect(uuid).toMatch(UUID_V4)
    expect(rest).toEqual([])
  })

  it('throws a 400 for an unsafe user id, whatever its type', () => {
    const hostile: unknown[] = ['../x', 'a:b', '', 'x'.repeat(65), 'a b', 42, null, { toString: 'u1' }, {
      toString: () => {
        throw new Error('boom')
      },
    }]
    for (const userId of hostile) {
      expect(() => createUserSessionId(userId as string)).toThrow(SessionInputError)
      expect(() => createUserSessionId(userId as string)).toThrow(expect.objectContaining({ statusCode: 400 }))
    }
  })
})

describe('isValidUserId', () => {
  it('accepts 1 to 64 characters from A-Z a-z 0-9 _ -', () => {
    for (const userId of ['a', '42', 'A_b-C', '-', '_', 'x'.repeat(64)]) {
      expect(isValidUserId(userId)).toBe(true)
    }
  })

  it('refuses path-like, encoded, control and oversized values', () => {
    const refused = ['../x', 'a/b', 'a\\b', 'a:b', '%2e%2e', 'a\u0000', '\u0000', '', 'x'.repeat(65), 'a.b', 'a b', 'abc\n', '\u00E9', 'a{b}']
    for (const userId of refused) {
      expect(isValidUserId(userId), JSON.stringify(userId)).toBe(false)
    }
  })

  it('refuses non-strings', () => {
    for (const userId of [42, null, undefined, {}, ['a'], true]) {
      expect(isValidUserId(userId)).toBe(false)
    }
  })

  it('accepts exactly the strings the documented pattern allows', () => {
    const candidates = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.stringMatching(/^[\w-]{0,70}$/),
    )
    fc.assert(fc.property(candidates, userId => isValidUserId(userId) === SAFE_USER_ID.test(userId)), { numRuns: 2000 })
  })
})

describe('parseSessionId', () => {
  it('accepts a guest id', () => {
    const id = createGuestId()
    expect(parseSessionId(id)).toEqual({ kind: 'guest', id })
  })

  it('accepts a user session id and extracts the user id', () => {
    const id = createUserSessionId('user_42')
    expect(parseSessionId(id)).toEqual({ kind: 'user', id, userId: 'user_42' })
    const longest = createUserSessionId('x'.repeat(64))
    expect(parseSessionId(longest)?.kind).toBe('user')
  })

  it('rejects garbage, uppercase hex and other UUID versions', () => {
    const refused = [
      '',
      'x'.repeat(36),
      createGuestId().toUpperCase(),
      V1_UUID,
      `user:${V1_UUID}`,
      `${createGuestId()} `,
      createGuestId().replaceAll('-', ''),
      `user:${createGuestId()}:extra`,
      `:${createGuestId()}`,
    ]
    for (const id of refused) {
      expect(parseSessionId(id), JSON.stringify(id)).toBeNull()
    }
  })

  it('rejects path-like values', () => {
    const uuid = createGuestId()
    const refused = [`../${uuid.slice(3)}`, `../../etc/passwd:${uuid}`, `a/b:${uuid}`, `a\\b:${uuid}`, `..:${uuid}`, `%2e%2e:${uuid}`, `a\u0000:${uuid}`]
    for (const id of refused) {
      expect(parseSessionId(id), JSON.stringify(id)).toBeNull()
    }
  })

  it('rejects values that are too long', () => {
    const uuid = createGuestId()
    expect(parseSessionId(`${'x'.repeat(65)}:${uuid}`)).toBeNull()
    expect(parseSessionId(`${uuid}${'0'.repeat(1000)}`)).toBeNull()
    expect(parseSessionId('x'.repeat(10_000))).toBeNull()
  })

  it('only ever yields store keys free of traversal and NUL characters', () => {
    const userIdish = fc.oneof(fc.stringMatching(/^[\w-]{1,64}$/), fc.string({ unit: 'binary', maxLength: 70 }), fc.constantFrom('..', '.', '/', '\\', 'a/..', '\u0000'))
    const candidates = fc.oneof(
      fc.uuid({ version: 4 }),
      fc.tuple(userIdish, fc.uuid({ version: 4 })).map(([userId, uuid]) => `${userId}:${uuid}`),
      fc.string({ unit: 'binary', maxLength: 120 }),
    )
    let accepted = 0
    fc.assert(fc.property(candidates, fc.constantFrom('1001', 'shop_de'), (id, shopId) => {
      const info = parseSessionId(id)
      if (!info) return
      accepted++
      const keys = sessionKeys(shopId, info)
      for (const key of [keys.session, keys.owner, keys.index, keys.userSessionPrefix, keys.hash]) {
        if (key === undefined) continue
        expect(key).not.toContain('..')
        expect(key).not.toContain('/')
        expect(key).not.toContain('\\')
        expect(key).not.toContain('\u0000')
      }
      expect(keys.session).not.toContain(info.kind === 'user' ? id.slice(id.indexOf(':') + 1) : id)
    }), { numRuns: 2000 })
    // The property is only worth something if many candidates made it through the parser.
    expect(accepted).toBeGreaterThan(500)
  })
})

describe('hashSessionId', () => {
  it('is SHA-256 in base64url, 43 characters', () => {
    const id = createGuestId()
    const hash = hashSessionId(id)
    expect(hash).toMatch(/^[\w-]{43}$/)
    expect(hash).toBe(createHash('sha256').update(id).digest('base64url'))
  })

  it('differs per id', () => {
    const hashes = new Set(Array.from({ length: 200 }, () => hashSessionId(createGuestId())))
    expect(hashes.size).toBe(200)
    expect(hashSessionId(createUserSessionId('a'))).not.toBe(hashSessionId(createUserSessionId('a')))
  })
})
