// Type probes, checked by `nuxi typecheck` and never run. Each @ts-expect-error fails the typecheck if the error it
// marks disappears.
import type { H3Event } from 'h3'

export async function sessionProbes(event: H3Event) {
  const session = await useStorefrontSession(event)
  const viewed: number[] | undefined = session.get('recentlyViewed')
  // @ts-expect-error a key the augmentation does not declare
  session.get('recentlyVeiwed')
  // @ts-expect-error a value of the wrong type for a declared key
  session.put('recentlyViewed', 'not a list')

  const user = await requireStorefrontUser(event)
  const email: string = user.email
  return { viewed, email }
}

export default defineRpcHandler(async (context) => {
  // Tokens are typed through the augmentation too.
  const token: string | undefined = context.tokens?.accessToken
  // @ts-expect-error a token the augmentation does not declare
  const other = context.tokens?.refreshToken
  return { token, other }
})
