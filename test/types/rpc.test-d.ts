// Checked by `npm run test:types` (vue-tsc): RPC names, params and results are typed from the server handlers
// through to useRpc and useRpcCall. Every @ts-expect-error below must stay an error, or the check fails.
import { describe, expectTypeOf, it } from 'vitest'
import type * as v from 'valibot'
import type { StorefrontRpcMethods } from '#storefront/rpc-methods'
import type { RpcCallArgs, RpcMethodName, RpcMethodParams, RpcMethodResult } from '../../src/runtime/app/composables/rpc'
import { useRpcCall } from '../../src/runtime/app/composables/rpc'
import { useRpc } from '../../src/runtime/app/composables/rpc-data'
import { defineRpcHandler } from '../../src/runtime/server/rpc/define'
import type { AppMethodCall, UseStorefrontUser } from '../../src/runtime/app/composables/user'
import type { BasketLine, RpcParams, RpcResult, StorefrontUser, WishlistItem } from '../../src/runtime/types'

describe('useUser().login and updateUser', () => {
  it('are a type error to call when the app has no method of that name (this app has neither)', () => {
    expectTypeOf<AppMethodCall<'login'>>().toBeNever()
    expectTypeOf<AppMethodCall<'updateUser'>>().toBeNever()
    expectTypeOf<UseStorefrontUser['login']>().toBeNever()
  })

  it('take the params and give the result of a method that exists', () => {
    expectTypeOf<AppMethodCall<'addItemToBasket'>>().parameters.toEqualTypeOf<[params: { variantId: number, quantity: number }]>()
    expectTypeOf<AppMethodCall<'addItemToBasket'>>().returns.resolves.toEqualTypeOf<{ items: BasketLine[] }>()
  })
})

describe('RPC types', () => {
  it('knows every built-in method by name', () => {
    expectTypeOf<'getUser' | 'getBasket' | 'addItemToBasket' | 'listSessions' | 'logoutOtherDevices' | 'revokeSession'>().toExtend<RpcMethodName>()
    expectTypeOf<'noSuchMethod'>().not.toExtend<RpcMethodName>()
  })

  it('infers params and results from the handlers', () => {
    expectTypeOf<RpcMethodParams<'addItemToBasket'>>().toEqualTypeOf<{ variantId: number, quantity: number }>()
    expectTypeOf<RpcMethodResult<'addItemToBasket'>>().toEqualTypeOf<{ items: BasketLine[] }>()
    expectTypeOf<RpcMethodResult<'getWishlist'>>().toEqualTypeOf<{ items: WishlistItem[] }>()
    expectTypeOf<RpcMethodResult<'getUser'>>().toEqualTypeOf<{ user: StorefrontUser | null }>()
    expectTypeOf<RpcMethodResult<'logoutOtherDevices'>>().toEqualTypeOf<{ destroyed: number }>()
    expectTypeOf<RpcCallArgs<'getBasket'>>().toEqualTypeOf<[params?: undefined]>()
    expectTypeOf<StorefrontRpcMethods['getUser']>().not.toBeAny()
  })

  it('types useRpcCall and useRpc end to end', () => {
    const add = useRpcCall('addItemToBasket')
    expectTypeOf(add).parameters.toEqualTypeOf<[params: { variantId: number, quantity: number }]>()
    expectTypeOf(add).returns.resolves.toEqualTypeOf<{ items: BasketLine[] }>()
    // @ts-expect-error a missing field is refused
    void add({ variantId: 1 })
    // @ts-expect-error a wrong type is refused
    void add({ variantId: '1', quantity: 1 })
    // @ts-expect-error an unknown method is refused
    void useRpcCall('noSuchMethod')
    const { data } = useRpc('getBasket')
    expectTypeOf(data.value).toEqualTypeOf<{ items: BasketLine[] } | undefined>()
  })

  it('infers params from a Standard Schema input, and context-only handlers take no params', () => {
    const schema = {} as v.ObjectSchema<{ productId: v.NumberSchema<undefined> }, undefined>
    const _withInput = defineRpcHandler(({ productId }, context) => ({ productId, shop: context.shopId }), { input: schema })
    expectTypeOf<RpcParams<typeof _withInput>>().toEqualTypeOf<{ productId: number }>()
    expectTypeOf<RpcResult<typeof _withInput>>().toEqualTypeOf<{ productId: number, shop: string }>()
    const _contextOnly = defineRpcHandler(async context => context.user)
    expectTypeOf<RpcParams<typeof _contextOnly>>().toEqualTypeOf<void>()
    expectTypeOf<RpcResult<typeof _contextOnly>>().toEqualTypeOf<StorefrontUser | null>()
  })
})
