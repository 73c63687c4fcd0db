import { describe, expect, it } from 'vitest'
import { encodeMeta, parseMeta } from '../../src/runtime/server/store/record'
import type { StoredMeta } from '../../src/runtime/server/store/record'

const c = 1_796_202_863_979
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'

describe('a session record\'s meta field (store/record.ts)', () => {
  it('reads back every field it stores, with and without an absolute end and a label', () => {
    const metas: StoredMeta[] = [
      { c, s: c + 5000, e: c + 5000 + 86_400_000, a: c + 30 * 86_400_000, ua: UA, l: 'Kitchen tablet' },
      { c, s: c, e: c + 3_600_000, ua: '' },
      { c, s: c + 10, e: c + 20, a: c + 20, ua: 'curl/8.5 "quoted" \\ [x]' },
    ]
    for (const meta of metas) expect(parseMeta(encodeMeta(meta))).toStrictEqual(meta)
  })

  it('stores about half the bytes of the object form (45 of 85 here)', () => {
    const meta: StoredMeta = { c, s: c, e: c + 86_400_000, a: c + 30 * 86_400_000, ua: 'node' }
    expect(encodeMeta(meta)).toBe('[1796202863979,0,86400000,2592000000,"node"]')
    expect(JSON.stringify(meta)).toHaveLength(85)
  })

  it('still reads the object form that records written before hold', () => {
    const meta = { c, s: c + 1, e: c + 2, a: c + 3, ua: UA, l: 'Phone' }
    expect(parseMeta(JSON.stringify(meta))).toStrictEqual(meta)
    expect(parseMeta(JSON.stringify({ c, s: c, e: c }))).toStrictEqual({ c, s: c, e: c })
  })

  it('treats a malformed field as no session, never as a session with made-up times', () => {
    for (const raw of ['', '[', '[]', 'null', '7', '"text"', `[${c}]`, `[${c},0,1,0]`, `[${c},0,1,0,5]`, `["${c}",0,1,0,"ua"]`,
      `[${c},0.5,1,0,"ua"]`, `[${c},0,1e300,0,"ua"]`, `[${c},0,1,null,"ua"]`, `[${c},0,1,0,"ua",7]`, '{"c":1,"s":2}']) {
      expect(parseMeta(raw), raw).toBeUndefined()
    }
  })

  it('gives a frozen meta, shared between the requests that read it', () => {
    expect(Object.isFrozen(parseMeta(encodeMeta({ c, s: c, e: c + 1, ua: '' })))).toBe(true)
  })
})
