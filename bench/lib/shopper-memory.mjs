import { fileURLToPath } from 'node:url'
import { createShopper, request } from './http.mjs'
import { ALICE_LOGIN, BASKET, WISHLIST } from './payload.mjs'
import { freePort, startProcess } from './process.mjs'
import { startPlayground } from './variants.mjs'

const EXPRESS_SHOPPER = fileURLToPath(new URL('../servers/express-shopper.mjs', import.meta.url))

// The playground's login limiter counts attempts under `{rl:…}` keys for its window: the app's choice, not the
// shopper's data, so they are left out (express-session has none).
const LIMITER_KEY = /\{rl:/

/**
 * @typedef {object} ShopperKey
 * @property {string} key its name
 * @property {string} type string, hash, zset…
 * @property {string} encoding OBJECT ENCODING
 * @property {number} bytes MEMORY USAGE (SAMPLES 0: every element counted)
 * @property {number} ttlMs PTTL (-1: none)
 */

/**
 * @typedef {object} ShopperMemory
 * @property {string} store `module` or `express-session`
 * @property {string} shopper `guest` or `user`
 * @property {number} bytes MEMORY USAGE summed over the shopper's keys
 * @property {ShopperKey[]} keys the shopper's keys
 * @property {number} population shoppers in the population
 * @property {number} populationBytesPerShopper INFO memory used_memory delta over the population, per shopper
 */

/**
 * Bytes of Redis memory per shopper, for this module (the built playground on Redis) and for express-session with
 * connect-redis holding the same data: a guest with a 5-line basket and one wishlist item, and a logged-in user
 * with the same plus a user record and tokens. One shopper of each is made over HTTP, its keys measured with
 * `MEMORY USAGE`; then its keys are copied `population` times (DUMP and RESTORE under other owners of the same
 * shape, TTLs kept) and `INFO memory` used_memory's growth is divided by the count.
 * @param {object} options
 * @param {import('./redis.mjs').BenchRedis} options.redis a Redis the caller may flush
 * @param {number} [options.population] shoppers in each population
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<ShopperMemory[]>} module guest, module user, express guest, express user
 */
export async function measureShopperMemory({ redis, population = 10_000, log = () => {} }) {
  const admin = redis.client()
  const playground = await startPlayground({ redisUrl: redis.url })
  const port = await freePort()
  const express = await startProcess({ name: 'express-shopper', command: process.execPath, args: [EXPRESS_SHOPPER], env: { PORT: String(port), REDIS_URL: redis.url }, ready: /listening on/ })
  const expressUrl = `http://127.0.0.1:${port}`
  const results = []
  const ok = (response, what) => {
    if (response.status !== 200) throw new Error(`${what} answered ${response.status} ${response.text.slice(0, 200)}`)
  }

  async function moduleGuest() {
    const guest = createShopper(playground.url)
    for (const line of BASKET) ok(await guest.rpc('addItemToBasket', line), 'addItemToBasket')
    for (const item of WISHLIST) ok(await guest.rpc('addItemToWishlist', item), 'addItemToWishlist')
    return guest
  }
  const stores = [
    ['module', 'guest', moduleGuest],
    ['module', 'user', async () => {
      const shopper = await moduleGuest()
      ok(await shopper.rpc('login', ALICE_LOGIN), 'login')
      // The login leaves a welcome notice in the flash; the next page takes it.
      ok(await shopper.rpc('getFlash'), 'getFlash')
    }],
    ['express-session', 'guest', async () => ok(await request(`${expressUrl}/guest`, { method: 'POST' }), 'express /guest')],
    ['express-session', 'user', async () => ok(await request(`${expressUrl}/user`, { method: 'POST' }), 'express /user')],
  ]

  try {
    // Unmeasured: loads the scripts and warms both servers.
    await moduleGuest()
    await request(`${expressUrl}/guest`, { method: 'POST' })
    for (const [store, shopper, create] of stores) {
      await admin.flushall('SYNC')
      await create()
      const keys = await shopperKeys(admin)
      const bytes = keys.reduce((sum, key) => sum + key.bytes, 0)
      const before = await usedMemory(admin)
      await copyShopper(admin, keys, population)
      const populationBytesPerShopper = Math.round((await usedMemory(admin) - before) / population)
      results.push({ store, shopper, bytes, keys, population, populationBytesPerShopper })
      log(`  ${store} ${shopper}: ${bytes} bytes in ${keys.length} keys (${keys.map(k => `${k.type} ${k.bytes}`).join(' + ')}); ${populationBytesPerShopper} bytes per shopper over ${population.toLocaleString('en')}`)
    }
    await admin.flushall('SYNC')
    return results
  }
  finally {
    admin.disconnect()
    await playground.stop()
    await express.stop()
  }
}

/**
 * The keys of the one shopper in a flushed Redis, with their size.
 * @param {import('ioredis').Redis} admin
 * @returns {Promise<ShopperKey[]>} its keys
 */
async function shopperKeys(admin) {
  const names = []
  let cursor = '0'
  do {
    const [next, found] = await admin.scan(cursor, 'COUNT', 1000)
    cursor = next
    names.push(...found.filter(key => !LIMITER_KEY.test(key)))
  } while (cursor !== '0')
  names.sort()
  return Promise.all(names.map(async key => ({
    key,
    type: await admin.type(key),
    encoding: await admin.object('ENCODING', key),
    bytes: Number(await admin.memory('USAGE', key, 'SAMPLES', 0)),
    ttlMs: await admin.pttl(key),
  })))
}

async function usedMemory(admin) {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1])
}

/**
 * Copies a shopper's keys under `count` other owners: the owner part of each name (the module's `{g:…}` or `{u:…}`
 * hash tag, express-session's session id) is replaced by another of the same length (user ids of at least 3
 * characters, so that 10,000 differ), values and TTLs as they are.
 * @param {import('ioredis').Redis} admin
 * @param {ShopperKey[]} keys the shopper's keys
 * @param {number} count copies
 */
async function copyShopper(admin, keys, count) {
  const dumps = await Promise.all(keys.map(async k => ({ ...k, dump: await admin.dumpBuffer(k.key) })))
  const batch = 500
  for (let start = 0; start < count; start += batch) {
    const pipeline = admin.pipeline()
    for (let i = start; i < Math.min(count, start + batch); i++) {
      for (const k of dumps) pipeline.restore(renamed(k.key, i), Math.max(0, k.ttlMs), k.dump)
    }
    const replies = await pipeline.exec()
    const failed = replies.find(([error]) => error)
    if (failed) throw failed[0]
  }
}

function renamed(key, i) {
  const tag = /\{([gu]):([^}]+)\}/.exec(key)
  if (tag) return key.replace(tag[0], `{${tag[1]}:${uniqueLike(tag[2], i)}}`)
  const sid = /^(.*:)([^:]+)$/.exec(key)
  return `${sid[1]}${uniqueLike(sid[2], i)}`
}

function uniqueLike(text, i) {
  const length = Math.max(3, text.length)
  return i.toString(36).padStart(length, '0').slice(-length)
}
