import { registerEndpoint } from '@nuxt/test-utils/runtime'
import { describe, expect, it } from 'vitest'
import { clearNuxtState, useRouter, useState } from '#imports'
import { StorefrontRpcError, useRpcCall } from '../../src/runtime/app/composables/rpc'
import { useStorefrontShop } from '../../src/runtime/app/composables/shop'
import { useShopState } from '../../src/runtime/app/composables/state'
import { useUser } from '../../src/runtime/app/composables/user'

// Client-side logic only: the server side of these calls is tested over real HTTP in test/e2e and test/browser.
describe('useStorefrontShop', () => {
  it('follows the route: /de/… is shop 1002, everything else the default shop 1001', async () => {
    const shop = useStorefrontShop()
    const router = useRouter()
    router.addRoute({ path: '/de/:rest(.*)*', component: { render: () => null } })
    router.addRoute({ path: '/:rest(.*)*', component: { render: () => null } })
    await router.push('/de/basket')
    expect(shop.value).toBe('1002')
    await router.push('/design')
    expect(shop.value).toBe('1001')
    await router.push('/')
    expect(shop.value).toBe('1001')
  })
})

describe('useShopState', () => {
  it('is the state useState sees under the same key, and clearNuxtState resets it to its initial value', () => {
    const state = useShopState('probe', () => ({ n: 1 }), '1001')
    expect(useState('storefront-probe:1001').value).toEqual({ n: 1 })
    useState<{ n: number }>('storefront-probe:1001').value = { n: 2 }
    expect(state.value).toEqual({ n: 2 })
    // A second call keeps the value; the initial value applies only to a state that has none.
    expect(useShopState('probe', () => ({ n: 3 }), '1001').value).toEqual({ n: 2 })
    clearNuxtState('storefront-probe:1001', { reset: true })
    expect(state.value).toEqual({ n: 1 })
  })
})

describe('useRpcCall', () => {
  it('posts { payload } with the shop header and turns problem details into a StorefrontRpcError', async () => {
    const seen: { body?: unknown, shop?: string } = {}
    registerEndpoint('/api/rpc/addItemToBasket', {
      method: 'POST',
      handler: async (event) => {
        const { readBody, getRequestHeader, setResponseStatus } = await import('h3')
        seen.body = await readBody(event)
        seen.shop = getRequestHeader(event, 'x-shop-id')
        setResponseStatus(event, 409)
        return { type: 'about:blank', title: 'Conflict', status: 409, detail: 'this guest basket is being merged into a login; try again' }
      },
    })
    const add = useRpcCall('addItemToBasket')
    const error = await add({ variantId: 101, quantity: 2 }).catch(e => e)
    expect(seen).toEqual({ body: { payload: { variantId: 101, quantity: 2 } }, shop: '1001' })
    expect(error).toBeInstanceOf(StorefrontRpcError)
    expect(error).toMatchObject({ method: 'addItemToBasket', status: 409, title: 'Conflict', message: 'this guest basket is being merged into a login; try again' })
  })
})

describe('useUser', () => {
  it('is not initialised before the first answer, then serves the last value from cache while revalidating', async () => {
    // Each call waits until the test answers it, so the in-between states can be observed.
    const pending: ((value: unknown) => void)[] = []
    registerEndpoint('/api/rpc/getUser', { method: 'POST', handler: () => new Promise(resolve => pending.push(resolve)) })
    // The state is shared per shop; start from a clean one. Marked loaded, so that the plugin's own first load (it
    // waits for the app to be ready) leaves this test's calls alone.
    useState('storefront-user:1001').value = { user: null, isInitialized: false, fromCache: false }
    useState('storefront-loaded:1001').value = Date.now()
    const user = useUser()
    expect(user.isInitialized.value).toBe(false)

    const first = user.refresh()
    await expect.poll(() => pending.length).toBe(1)
    pending.shift()!({ user: { id: 'u1', firstName: 'Alice' } })
    await first
    expect(user.isInitialized.value).toBe(true)
    expect(user.isLoggedIn.value).toBe(true)
    expect(user.fromCache.value).toBe(false)

    const second = user.refresh({ background: true })
    expect(user.fromCache.value).toBe(true)
    expect(user.user.value).toMatchObject({ id: 'u1' })
    await expect.poll(() => pending.length).toBe(1)
    pending.shift()!({ user: null })
    await second
    expect(user.fromCache.value).toBe(false)
    expect(user.isLoggedIn.value).toBe(false)
  })
})
