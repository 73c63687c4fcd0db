// Type probes, checked by `nuxi typecheck` and never run. Each @ts-expect-error fails the typecheck if the error it
// marks disappears; each `Expect<…>` fails it if a type turns into `never` or `any`.
type IsNever<T> = [T] extends [never] ? true : false
type IsAny<T> = 0 extends 1 & T ? true : false
type Expect<T extends true> = T

export async function rpcProbes() {
  // Built-in methods keep their types from the packed module.
  const { data: basket } = await useRpc('getBasket')
  type BasketData = NonNullable<typeof basket.value>
  type _basketTyped = Expect<IsNever<BasketData> extends true ? false : IsAny<BasketData> extends true ? false : true>
  const variantId: number | undefined = basket.value?.items[0]?.variantId
  await useRpcCall('addItemToBasket')({ variantId: 1, quantity: 2 })

  // @ts-expect-error an unknown method name
  useRpcCall('addItemToBaskett')
  // @ts-expect-error wrong params for a built-in method
  await useRpcCall('addItemToBasket')({ variantId: '1', quantity: 2 })
  // @ts-expect-error wrong params for the app's own method (valibot input)
  await useRpcCall('addToWishlist')({ productId: 'abc' })
  const { items } = await useRpcCall('addToWishlist')({ productId: 3 })
  const productId: number | undefined = items[0]?.productId

  // The user is typed through the augmentation in shared/types/storefront.d.ts.
  const { user } = useUser()
  const firstName: string | undefined = user.value?.firstName
  // @ts-expect-error a field the augmentation does not declare
  const age = user.value?.age
  // login and updateUser are typed from the app's own methods.
  const { login, updateUser } = useUser()
  const { user: signedIn, merge } = await login({ email: 'a@example.com', password: 'secret' })
  const signedInName: string = signedIn.firstName
  const unitsAdded: number | undefined = merge?.unitsAdded
  // @ts-expect-error login takes the app's params: a password is required
  await login({ email: 'a@example.com' })
  // @ts-expect-error updateUser takes the app's params
  await updateUser({ nickname: 'x' })
  const { user: updated } = await updateUser({ firstName: 'Ann' })
  const updatedName: string = updated.firstName

  // Devices carry an opaque handle and the parsed user agent.
  const { sessions, revoke } = useSessions()
  const device = sessions.value[0]
  const handle: string | undefined = device?.handle
  const deviceClass: 'desktop' | 'mobile' | 'tablet' | 'bot' | 'unknown' | undefined = device?.device
  if (handle) await revoke(handle)
  // @ts-expect-error revoke takes a handle
  await revoke(1)

  // The link helper of the current shop.
  const path: string = useStorefrontShop().link('/account')
  return { variantId, productId, firstName, age, signedInName, unitsAdded, updatedName, deviceClass, path }
}
