/** What the DevTools page shows. */
export interface DevtoolsView {
  shops: string[]
  shopId: string
  sessionId: string | null
  stored: boolean
  meta: { createdAt: number, lastSeenAt: number, expiresAt: number, userAgent: string } | null
  user: unknown
  dataKeys: string[]
  basket: { variantId: number, quantity: number }[]
  wishlist: { productId: number }[]
}

const escape = (value: unknown) => String(value).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
const json = (value: unknown) => `<pre>${escape(JSON.stringify(value, null, 2))}</pre>`
const time = (ms: number | undefined) => ms ? new Date(ms).toLocaleString() : '–'

/**
 * Renders the DevTools tab as a small self-contained page.
 * @param view what to show
 * @returns HTML
 */
export function renderDevtoolsPage(view: DevtoolsView): string {
  const shopLinks = view.shops.map(id => id === view.shopId ? `<strong>${escape(id)}</strong>` : `<a href="?shop=${escape(id)}">${escape(id)}</a>`).join(' · ')
  return `<!doctype html><html><head><meta charset="utf-8"><title>Storefront session</title><style>
body{font:14px/1.5 system-ui,sans-serif;margin:0;padding:16px;color:#1f2933;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e4e7eb;background:#151515}a{color:#7cc4fa}}
h1{font-size:16px;margin:0 0 12px}h2{font-size:13px;text-transform:uppercase;letter-spacing:.05em;opacity:.7;margin:16px 0 4px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}dt{opacity:.7}pre{margin:0;font-size:12px;white-space:pre-wrap}
button{font:inherit;padding:4px 10px;margin-right:8px;border-radius:4px;border:1px solid #9aa5b1;background:transparent;color:inherit;cursor:pointer}
</style></head><body>
<h1>Storefront session</h1>
<dl>
<dt>Shop</dt><dd>${shopLinks}</dd>
<dt>Session</dt><dd>${view.sessionId ? `<code>${escape(view.sessionId)}</code>` : 'none yet (no write so far: nothing stored, no cookie)'}</dd>
<dt>Created</dt><dd>${time(view.meta?.createdAt)}</dd>
<dt>Last seen</dt><dd>${time(view.meta?.lastSeenAt)}</dd>
<dt>Expires</dt><dd>${time(view.meta?.expiresAt)}</dd>
</dl>
<h2>User</h2>${json(view.user)}
<h2>Data keys</h2>${json(view.dataKeys)}
<h2>Basket</h2>${json(view.basket)}
<h2>Wishlist</h2>${json(view.wishlist)}
<h2>Actions</h2>
<button data-action="regenerate" ${view.stored ? '' : 'disabled'}>Regenerate id</button>
<button data-action="destroy" ${view.stored ? '' : 'disabled'}>Destroy session</button>
<script>
for (const button of document.querySelectorAll('button[data-action]')) {
  button.addEventListener('click', async () => {
    await fetch('/__storefront_devtools/' + button.dataset.action + location.search, { method: 'POST', headers: { 'x-storefront-devtools': '1' } })
    location.reload()
  })
}
</script>
</body></html>`
}

/**
 * Shows enough of a session id to tell sessions apart, never enough to use one.
 * @param id the session id
 * @returns the user id part (if any) and the first and last four characters of the UUID
 */
export function maskId(id: string): string {
  const [owner, uuid] = id.includes(':') ? id.split(':') as [string, string] : ['', id]
  return `${owner ? `${owner}:` : ''}${uuid.slice(0, 4)}…${uuid.slice(-4)}`
}
