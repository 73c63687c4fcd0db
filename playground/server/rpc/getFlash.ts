// The message flashed by the previous request (for example the merge report after login), once.
export default defineRpcHandler(context => ({ notice: context.session.getFlash<string>('notice') ?? null }))
