import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'
import type { Shopper } from '../helpers/shopper'
import { createShopper } from '../helpers/shopper'

// NUXT_STOREFRONT_SHOPS_<ID>_STORAGE_SESSION_URL on a built server: the basic fixture's shops 1001 and 1002 share the
// top-level Redis (A) until the variable gives shop 1002 a Redis of its own (B). Keys are read with KEYS on this file's
// own redis-servers, never on a shared one.

let redisA: RedisProcess
let redisB: RedisProcess
let server: FixtureServer

const shared = () => ({ NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: redisA.url })
const perShop = () => ({ ...shared(), NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_URL: redisB.url })

beforeAll(async () => {
  redisA = await startRedis()
  redisB = await startRedis()
  server = await startFixtureServer('basic', perShop())
})

afterAll(async () => {
  await server?.stop()
  await redisA?.dispose()
  await redisB?.dispose()
})

/** Every key of one of this file's redis-servers, sorted. */
async function keysOf(redis: RedisProcess): Promise<string[]> {
  const client = redis.client()
  try {
    return (await client.keys('*')).sort()
  }
  finally {
    client.disconnect()
  }
}

async function flush(redis: RedisProcess): Promise<void> {
  const client = redis.client()
  try {
    await client.flushall()
  }
  finally {
    client.disconnect()
  }
}

/** Restarts the server with `env` on two empty Redis servers. */
async function freshStart(env: Record<string, string>): Promise<void> {
  await server.stop()
  await flush(redisA)
  await flush(redisB)
  await server.restart(env)
}

/** A guest of `shop` adds a basket line, then logs in as `userId`: a guest session, then a user's session, index and record. */
async function shopIn(shop: string, variantId: number, userId: string): Promise<Shopper> {
  const shopper = createShopper(server, { shop })
  const added = await shopper.rpc('addItemToBasket', { variantId, quantity: 2 })
  expect(added.status, JSON.stringify(added.body)).toBe(200)
  const login = await shopper.rpc('loginAs', { userId })
  expect(login.status, JSON.stringify(login.body)).toBe(200)
  return shopper
}

async function readBack(shopper: Shopper, userId: string, variantId: number): Promise<void> {
  const user = await shopper.rpc('getUser')
  expect(user.status).toBe(200)
  expect(user.body.user).toEqual({ id: userId })
  const basket = await shopper.rpc('getBasket')
  expect(basket.status).toBe(200)
  expect(basket.body.items).toEqual([expect.objectContaining({ variantId, quantity: 2 })])
}

const shopOf = (key: string) => key.split(':')[1]

describe('NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_URL', () => {
  it('keeps shop 1002\'s sessions on its own Redis and shop 1001\'s on the top-level one, each read back', async () => {
    const inShop1001 = await shopIn('1001', 11, 'shop-a-user')
    const inShop1002 = await shopIn('1002', 22, 'shop-b-user')

    const onA = await keysOf(redisA)
    const onB = await keysOf(redisB)
    // Keys are `<base>:<shopId>:{owner}:…`: a user's session, index, record and basket at least, per shop.
    expect(onA.length).toBeGreaterThanOrEqual(4)
    expect(onB.length).toBeGreaterThanOrEqual(4)
    expect(new Set(onA.map(shopOf))).toEqual(new Set(['1001']))
    expect(new Set(onB.map(shopOf))).toEqual(new Set(['1002']))
    expect(onA.some(key => key.startsWith('storefront:1001:{u:shop-a-user}:s:'))).toBe(true)
    expect(onB.some(key => key.startsWith('storefront:1002:{u:shop-b-user}:s:'))).toBe(true)

    await readBack(inShop1001, 'shop-a-user', 11)
    await readBack(inShop1002, 'shop-b-user', 22)

    // Shop 1002 reads from B: emptying B ends its session and leaves shop 1001's as it was.
    await flush(redisB)
    expect((await inShop1002.rpc('getUser')).body.user).toBeNull()
    await readBack(inShop1001, 'shop-a-user', 11)
  })

  it('puts both shops\' sessions on the top-level Redis when the variable is not set', async () => {
    await freshStart(shared())
    const inShop1001 = await shopIn('1001', 11, 'shop-a-user')
    const inShop1002 = await shopIn('1002', 22, 'shop-b-user')

    expect(new Set((await keysOf(redisA)).map(shopOf))).toEqual(new Set(['1001', '1002']))
    expect(await keysOf(redisB)).toEqual([])
    await readBack(inShop1001, 'shop-a-user', 11)
    await readBack(inShop1002, 'shop-b-user', 22)
  })

  it('leaves shop 1002 on the top-level Redis when the variable is empty', async () => {
    await freshStart({ ...shared(), NUXT_STOREFRONT_SHOPS_1002_STORAGE_SESSION_URL: '' })
    const inShop1002 = await shopIn('1002', 22, 'shop-b-user')

    expect(new Set((await keysOf(redisA)).map(shopOf))).toEqual(new Set(['1002']))
    expect(await keysOf(redisB)).toEqual([])
    await readBack(inShop1002, 'shop-b-user', 22)
  })
})
