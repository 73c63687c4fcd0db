// server/plugins/storefront-hooks.ts
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('storefront:login', ({ shopId, user, merge }) => {
    console.info(`[shop ${shopId}] ${user.id} logged in; ${merge.unitsAdded} units came over from the guest basket`)
  })
})
