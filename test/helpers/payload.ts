/**
 * The Nuxt payload a server-rendered page carries (`#__NUXT_DATA__`, devalue's flat JSON form), with its reactive
 * wrappers taken off: enough to read `state` and `data` in a test.
 * @param html the page
 * @returns the payload
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests check its shape with assertions
export function pagePayload(html: string): any {
  const json = /<script[^>]*id="__NUXT_DATA__"[^>]*>([\s\S]*?)<\/script>/.exec(html)?.[1]
  if (!json) throw new Error('the page has no __NUXT_DATA__ payload')
  const flat = JSON.parse(json) as unknown[]
  const seen = new Map<number, unknown>()
  const revive = (index: number): unknown => {
    // devalue's negative indices: undefined, null, NaN, Infinity, -Infinity, -0.
    if (index < 0) return [undefined, undefined, null, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0][-index]
    if (seen.has(index)) return seen.get(index)
    const value = flat[index]
    if (Array.isArray(value)) {
      // A typed value: ["Reactive", i], ["ShallowRef", i], ["Date", text], …; only the wrappers are taken off.
      if (typeof value[0] === 'string') return typeof value[1] === 'number' ? revive(value[1]) : value[1]
      const out: unknown[] = []
      seen.set(index, out)
      for (const item of value) out.push(revive(item as number))
      return out
    }
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      seen.set(index, out)
      for (const [key, item] of Object.entries(value)) out[key] = revive(item as number)
      return out
    }
    return value
  }
  return revive(0)
}

/**
 * The runtime config a server-rendered page gives the browser (`window.__NUXT__.config`).
 * @param html the page
 * @returns `{ public, app }`
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests check its shape with assertions
export function pageConfig(html: string): any {
  const source = /window\.__NUXT__\.config=([\s\S]*?)<\/script>/.exec(html)?.[1]
  if (!source) throw new Error('the page has no window.__NUXT__.config')
  // A JavaScript literal (devalue's uneval) from the test's own server.
  return new Function(`return (${source})`)()
}
