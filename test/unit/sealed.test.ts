import { describe, expect, it } from 'vitest'
import { resolveShops } from '../../src/runtime/server/session/config'
import { openValue, resealIfStale, sealValue } from '../../src/runtime/server/session/sealed'

const OLD = 'old-secret-0123456789-abcdefghijklmnopqrstu'
const NEW = 'new-secret-0123456789-abcdefghijklmnopqrstu'
const shopWith = (secret: string | string[], id = '1001') =>
  resolveShops({ shops: { [id]: { path: '/' } }, session: { secret }, storage: { session: { driver: 'memory' } } }, { production: true }).byId.get(id)!

describe('sealed tokens', () => {
  const plain = JSON.stringify({ accessToken: 'tok-1234567890' })

  it('seals with AES-256-GCM: no clear text, a fresh IV each time, and opens again', () => {
    const shop = shopWith(OLD)
    const a = sealValue(shop, plain)
    const b = sealValue(shop, plain)
    expect(a).not.toContain('tok-')
    expect(a).not.toBe(b)
    expect(JSON.parse(a)).toMatch(/^sf1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(openValue(shop, a)).toBe(plain)
  })

  it('opens after a rotation, re-seals under the new secret, and refuses a tampered value or another shop', () => {
    const sealed = sealValue(shopWith(OLD), plain)
    const rotated = shopWith([OLD, NEW])
    expect(openValue(rotated, sealed)).toBe(plain)
    const resealed = resealIfStale(rotated, sealed)!
    expect(resealed).toBeDefined()
    expect(resealIfStale(rotated, resealed)).toBeUndefined()
    expect(openValue(shopWith(NEW), resealed)).toBe(plain)
    expect(openValue(shopWith(NEW), sealed)).toBeUndefined()
    const text = JSON.parse(sealed) as string
    const tampered = JSON.stringify(`${text.slice(0, -3)}${text.endsWith('A') ? 'B' : 'A'}${text.slice(-2)}`)
    expect(openValue(shopWith(OLD), tampered)).toBeUndefined()
    expect(openValue(shopWith(OLD, '1002'), sealed)).toBeUndefined()
  })

  it('seals a value stored in clear by an older version at the next write', () => {
    const shop = shopWith(OLD)
    expect(openValue(shop, plain)).toBe(plain)
    expect(openValue(shop, resealIfStale(shop, plain)!)).toBe(plain)
  })
})
