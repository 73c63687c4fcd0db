// Maps REDIS_URL to the Redis session store when the server starts, so one build runs on either store.
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('storefront:storage', (storage) => {
    const url = process.env.REDIS_URL
    if (url) Object.assign(storage, { driver: 'redis', url })
  })
})
