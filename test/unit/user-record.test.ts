import { describe, expect, it } from 'vitest'
import { userFields, userFromRecord } from '../../src/runtime/server/session/user-record'

const lines = (fields: Record<string, string>) => Object.entries(fields).flat().join('\n')

describe('a user\'s record (session/user-record.ts)', () => {
  it('reads back the user it stores, from stored lines and from pairs, keys in their order', () => {
    const user = { id: 'u1', email: 'alice@example.com', name: { first: 'Alice' }, tags: ['vip'], credit: 12.5, verified: true, note: null }
    expect(userFromRecord(lines(userFields(user)))).toStrictEqual(user)
    expect(userFromRecord(Object.entries(userFields(user)).flat())).toStrictEqual(user)
    expect(Object.keys(userFromRecord(lines(userFields(user))))).toEqual(Object.keys(user))
  })

  it('keeps a key named __proto__ as an own key: it never becomes the user\'s prototype', () => {
    const user = userFromRecord(['id', '"u1"', '__proto__', '{"isAdmin":true}', 'constructor', '"x"'].join('\n'))
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype)
    expect((user as unknown as Record<string, unknown>).isAdmin).toBeUndefined()
    expect(Object.keys(user)).toEqual(['id', '__proto__', 'constructor'])
    expect(Object.getOwnPropertyDescriptor(user, '__proto__')).toStrictEqual({ value: { isAdmin: true }, enumerable: true, writable: true, configurable: true })
    expect(JSON.parse(JSON.stringify(user))).toStrictEqual(JSON.parse('{"id":"u1","__proto__":{"isAdmin":true},"constructor":"x"}'))
  })

  it('gives every read a user of its own: changing one changes no other', () => {
    const record = lines({ id: '"u1"', tags: '["a"]' })
    const first = userFromRecord(record) as unknown as { tags: string[] }
    first.tags.push('b')
    expect((userFromRecord(record) as unknown as { tags: string[] }).tags).toEqual(['a'])
  })
})
