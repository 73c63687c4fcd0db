import { describe, expect, it } from 'vitest'
import { maskId, renderDevtoolsPage } from '../../src/runtime/server/devtools/page'

// The DevTools tab's page (served by the dev server only). Its wiring was checked against `npm run dev`; this checks
// what it shows.
describe('DevTools session tab', () => {
  const view = {
    shops: ['1001', '1002'],
    shopId: '1002',
    sessionId: maskId('u1:6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f'),
    stored: true,
    meta: { createdAt: 0, lastSeenAt: 0, expiresAt: 0, userAgent: 'x' },
    user: { id: 'u1', firstName: '<script>alert(1)</script>' },
    dataKeys: ['recentlyViewed'],
    basket: [{ variantId: 101, quantity: 2 }],
    wishlist: [{ productId: 7 }],
  }

  it('masks the session id: the user and the first and last four characters only', () => {
    expect(maskId('6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f')).toBe('6f1c…3e4f')
    expect(view.sessionId).toBe('u1:6f1c…3e4f')
  })

  it('shows shop, session, user, data keys, basket and wishlist, escaped, with the two actions', () => {
    const html = renderDevtoolsPage(view)
    expect(html).toContain('<strong>1002</strong>')
    expect(html).toContain('<a href="?shop=1001">1001</a>')
    expect(html).toContain('<code>u1:6f1c…3e4f</code>')
    expect(html).not.toContain('4b5a-4c6d')
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;')
    expect(html).toContain('recentlyViewed')
    expect(html).toContain('&#34;variantId&#34;: 101')
    expect(html).toContain('&#34;productId&#34;: 7')
    expect(html).toMatch(/<button data-action="regenerate" >/)
    expect(html).toMatch(/<button data-action="destroy" >/)
  })

  it('disables the actions while nothing is stored', () => {
    const html = renderDevtoolsPage({ ...view, sessionId: null, stored: false })
    expect(html).toContain('none yet')
    expect(html).toContain('data-action="regenerate" disabled')
  })
})
