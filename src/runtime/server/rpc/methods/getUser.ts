import { defineRpcHandler } from '../define'

export default defineRpcHandler(context => ({ user: context.user }))
