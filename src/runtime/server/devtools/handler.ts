import { createError, defineEventHandler, getQuery, getRequestHeader, setResponseHeader } from 'h3'
import { useStorefrontRuntime } from '../utils/runtime'
import { createRpcContext } from '../rpc/context'
import { maskId, renderDevtoolsPage } from './page'
import { setNodeRequestHeader } from '../internal/h3'

/**
 * The DevTools tab (development only): GET renders the page, POST `/regenerate` and `/destroy` act on the session.
 * The shop comes from `?shop=<id>` (default: the default shop).
 */
export default defineEventHandler(async (event) => {
  const runtime = useStorefrontRuntime()
  const { shop: shopId } = getQuery(event)
  if (typeof shopId === 'string' && shopId) {
    setNodeRequestHeader(event, 'x-shop-id', shopId)
  }
  const shop = runtime.engine.shop(event)
  const session = await runtime.engine.session(event)
  const action = event.path.split('?')[0]!.replace(/^\/__storefront_devtools\/?/, '')
  if (event.method === 'POST') {
    // A header a plain form cannot send keeps cross-site posts out, even in development.
    if (getRequestHeader(event, 'x-storefront-devtools') !== '1') throw createError({ status: 403, message: 'missing x-storefront-devtools header' })
    if (action === 'regenerate') session.regenerate()
    else if (action === 'destroy') session.destroy()
    else throw createError({ status: 404, message: `unknown action ${JSON.stringify(action)}` })
    await session.commit()
    return { ok: true }
  }
  const context = createRpcContext(event, session, shop, runtime)
  const [basket, wishlist] = await Promise.all([context.basket.get(), context.wishlist.get()])
  setResponseHeader(event, 'content-type', 'text/html; charset=utf-8')
  setResponseHeader(event, 'cache-control', 'no-store')
  return renderDevtoolsPage({
    shops: [...runtime.engine.shops.byId.keys()],
    shopId: shop.id,
    sessionId: session.isNew ? null : maskId(session.id),
    stored: !session.isNew,
    meta: session.meta ?? null,
    user: context.user,
    dataKeys: Object.keys(session.all()),
    basket,
    wishlist,
  })
})
