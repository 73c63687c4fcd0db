// server/plugins/session-store.ts
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('storefront:storage', (storage) => {
    // A kiosk runs one process: its sessions stay in memory, bounded.
    if (process.env.KIOSK_MODE === '1') {
      storage.driver = 'lru-cache'
      storage.max = 50_000
    }
  })
})
