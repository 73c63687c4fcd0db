import { defineRpcHandler } from '../define'

export default defineRpcHandler(async context => ({ items: await context.wishlist.get() }))
