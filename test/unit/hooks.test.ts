import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import type { NitroApp } from 'nitropack/types'
import { describe, expect, it } from 'vitest'
import { hasHookListeners } from '../../src/runtime/server/utils/runtime'

// The hookable Nitro itself runs on, resolved from nitropack.
const fromNitro = createRequire(createRequire(import.meta.url).resolve('nitropack/package.json'))
const { createHooks } = await import(pathToFileURL(fromNitro.resolve('hookable')).href) as { createHooks: () => NitroApp['hooks'] }

describe('hasHookListeners', () => {
  it('says no only while nothing listens', () => {
    const hooks = createHooks()
    expect(hasHookListeners(hooks, 'storefront:rpc:before')).toBe(false)
    const unhook = hooks.hook('storefront:rpc:before', () => {})
    expect(hasHookListeners(hooks, 'storefront:rpc:before')).toBe(true)
    expect(hasHookListeners(hooks, 'storefront:rpc:after')).toBe(false)
    unhook()
    expect(hasHookListeners(hooks, 'storefront:rpc:before')).toBe(false)
  })

  it('says yes while a debugging tap watches every call', () => {
    const hooks = createHooks()
    const stop = hooks.beforeEach(() => {})
    expect(hasHookListeners(hooks, 'storefront:rpc:before')).toBe(true)
    stop()
    expect(hasHookListeners(hooks, 'storefront:rpc:before')).toBe(false)
  })

  it('says yes for hooks whose internals it does not know', () => {
    const foreign = { callHook: async () => {} } as unknown as NitroApp['hooks']
    expect(hasHookListeners(foreign, 'storefront:rpc:before')).toBe(true)
  })
})
