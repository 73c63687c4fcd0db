import { describe, expect, it } from 'vitest'
import { localRedirectPath } from '../../src/runtime/shared/redirect'

// What a browser does with a Location header or a navigation: resolve it against the current page.
const PAGE = 'https://shop.example/login'
// Node's rule for a header value: tab, printable ASCII and Latin-1, nothing else.
const HEADER_VALUE = /^[\t\x20-\x7E\x80-\xFF]*$/

describe('localRedirectPath: a redirect that stays on this site', () => {
  it.each([
    ['/account', '/account'],
    ['/p/3?added=1', '/p/3?added=1'],
    ['/de/basket?x=1#lines', '/de/basket?x=1#lines'],
    ['/a/./b/../c', '/a/c'],
    ['/foo\\bar', '/foo/bar'],
    ['/%2F/evil.example', '/%2F/evil.example'],
    ['/p/日本?q=ü#ä', '/p/%E6%97%A5%E6%9C%AC?q=%C3%BC#%C3%A4'],
    ['/x?a="<>', '/x?a=%22%3C%3E'],
  ])('keeps %j as %j', (value, expected) => {
    expect(localRedirectPath(value)).toBe(expected)
  })

  it.each([
    '/\t/evil.example/phish',
    '/\n/evil.example',
    '/\r\n/evil.example',
    '\t//evil.example',
    '/ /evil.example',
    '/\u00A0/evil.example',
    '/\u2028/evil.example',
    '/\u0085/evil.example',
    '/\u0000/evil.example',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '/\\/evil.example',
    '\\/evil.example',
    '\\\\evil.example',
    '/..//evil.example',
    '/.//evil.example',
    '/a/../..//evil.example',
    '/./\\evil.example',
    'https://evil.example/phish',
    'http://local.invalid/account',
    'javascript:alert(1)',
    'account',
    '',
    undefined,
    ['/account'],
  ])('refuses %j', (value) => {
    expect(localRedirectPath(value)).toBeUndefined()
  })

  it('refuses a path longer than 2048 characters', () => {
    expect(localRedirectPath(`/${'a'.repeat(2047)}`)).toHaveLength(2048)
    expect(localRedirectPath(`/${'a'.repeat(2048)}`)).toBeUndefined()
  })

  it('returns only paths a browser resolves to this origin, and always a valid header value', () => {
    const samples = ['/account', '/p/日本', '/x?y=ü#z', '/a/../b', '/foo\\bar', '/%09/x', '/é', '/\u{1F600}?\u{1F600}#\u{1F600}']
    for (const value of samples) {
      const path = localRedirectPath(value)
      expect(path, value).toBeDefined()
      expect(new URL(path!, PAGE).origin, value).toBe('https://shop.example')
      expect(path, value).toMatch(HEADER_VALUE)
      expect(path!.startsWith('//'), value).toBe(false)
    }
  })
})
