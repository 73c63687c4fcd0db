import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar } from '../helpers/jar'
import type { RedisProcess } from '../helpers/redis'
import { startRedis } from '../helpers/redis'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// Two built playground instances sharing one Redis (AOF on): races, destroy-all, outage and a full restart.
let redis: RedisProcess
let a: FixtureServer
let b: FixtureServer
// INFO commandstats starts over when Redis restarts: count KEYS and SCAN before every stop.
let keysAndScans = 0
async function tallyKeysAndScans() {
  const stats = await redis.commandStats()
  keysAndScans += (stats.keys ?? 0) + (stats.scan ?? 0)
}
const instances = () => [a, b]
const on = (i: number) => instances()[i % 2]!

beforeAll(async () => {
  redis = await startRedis({ appendonly: true })
  ;[a, b] = await Promise.all([
    startFixtureServer('playground', { REDIS_URL: redis.url }),
    startFixtureServer('playground', { REDIS_URL: redis.url }),
  ])
})

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  await redis?.dispose()
})

async function loggedIn(email: string, password: string, server = a) {
  const jar = new CookieJar()
  const answer = await jar.rpc(server, 'login', { email, password })
  expect(answer.status).toBe(200)
  return jar
}

async function guestWith(lines: [number, number][]) {
  const jar = new CookieJar()
  for (const [variantId, quantity] of lines) expect((await jar.rpc(a, 'addItemToBasket', { variantId, quantity })).status).toBe(200)
  return jar
}

const units = (items: { quantity: number }[]) => items.reduce((sum, line) => sum + line.quantity, 0)

describe('no lost updates across two instances', () => {
  it('sums concurrent adds to one line exactly', async () => {
    const jar = await guestWith([[1001, 1]])
    const attempts = 60
    const answers = await Promise.all(Array.from({ length: attempts }, (_, i) => jar.clone().rpc(on(i), 'addItemToBasket', { variantId: 1001, quantity: 1 })))
    expect(answers.map(answer => answer.status)).toEqual(Array(attempts).fill(200))
    const { body } = await jar.rpc(b, 'getBasket')
    console.log(`[measure] one line, concurrent adds: attempted ${attempts + 1} units, kept ${body.items[0].quantity}`)
    expect(body.items).toEqual([{ variantId: 1001, quantity: 61 }])
  })

  it('keeps every line of concurrent adds of different variants, and every concurrent wishlist add', async () => {
    const jar = await guestWith([[101, 1]])
    const variants = Array.from({ length: 40 }, (_, i) => (i + 2) * 100 + 1)
    const products = Array.from({ length: 40 }, (_, i) => i + 1)
    await Promise.all([
      ...variants.map((variantId, i) => jar.clone().rpc(on(i), 'addItemToBasket', { variantId, quantity: 2 })),
      ...products.map((productId, i) => jar.clone().rpc(on(i + 1), 'addItemToWishlist', { productId })),
    ])
    const basket = (await jar.rpc(a, 'getBasket')).body.items as { variantId: number }[]
    const wishlist = (await jar.rpc(b, 'getWishlist')).body.items as { productId: number }[]
    console.log(`[measure] different lines: attempted ${variants.length + 1}, kept ${basket.length}; wishlist: attempted ${products.length}, kept ${wishlist.length}`)
    expect(basket.map(line => line.variantId).sort((x, y) => x - y)).toEqual([101, ...variants])
    expect(wishlist.map(item => item.productId).sort((x, y) => x - y)).toEqual(products)
  })

  it('keeps a concurrent updateUser and basket add both', async () => {
    const jar = await loggedIn('bob@example.com', 'bob-secret-1')
    for (let round = 0; round < 10; round++) {
      const [update, add] = await Promise.all([
        jar.clone().rpc(a, 'updateUser', { firstName: `Bob${round}` }),
        jar.clone().rpc(b, 'addItemToBasket', { variantId: 4401, quantity: 1 }),
      ])
      expect([update.status, add.status]).toEqual([200, 200])
    }
    expect((await jar.rpc(b, 'getUser')).body.user.firstName).toBe('Bob9')
    const line = (await jar.rpc(a, 'getBasket')).body.items.find((item: { variantId: number }) => item.variantId === 4401)
    expect(line.quantity).toBe(10)
  })
})

describe('login racing basket adds on the guest session', () => {
  it('puts every add in the user\'s basket or answers it with an error', async () => {
    const user = await loggedIn('alice@example.com', 'alice-secret-1')
    let accepted = 0
    let refused = 0
    let attempted = 0
    // Several rounds, with the login sent amid the adds, so that adds land before, during and after the merge.
    for (let round = 0; round < 5; round++) {
      const guest = await guestWith([[2101 + round * 100, 1]])
      const before = units((await user.rpc(a, 'getBasket')).body.items)
      const send = (i: number) => guest.clone().rpc(on(i), 'addItemToBasket', { variantId: 2101 + round * 100, quantity: 1 })
      // Adds keep coming, two at a time (one per instance), until the login has answered, then a few more with the
      // old cookie: they land before, during and after the merge. Bounded at 200 per round.
      let settled = false
      const login = guest.clone().rpc(a, 'login', { email: 'alice@example.com', password: 'alice-secret-1' }).finally(() => (settled = true))
      const answers: Awaited<ReturnType<typeof send>>[] = []
      while (!settled && answers.length < 200) answers.push(...await Promise.all([send(answers.length), send(answers.length + 1)]))
      answers.push(...await Promise.all([send(0), send(1), send(2), send(3)]))
      expect((await login).status).toBe(200)
      const ok = answers.filter(answer => answer.status === 200).length
      const conflicts = answers.filter(answer => answer.status === 409).length
      expect(ok + conflicts).toBe(answers.length)
      const after = units((await user.rpc(b, 'getBasket')).body.items)
      expect(after - before).toBe(1 + ok)
      attempted += answers.length
      accepted += ok
      refused += conflicts
    }
    console.log(`[measure] login race: ${attempted} adds, ${accepted} in the user's basket, ${refused} refused with 409, 0 lost`)
  })
})

describe('destroySessionsForUserId across instances', () => {
  it('ends the other sessions for every instance at once, and a racing request cannot resurrect one', async () => {
    const keeper = await loggedIn('alice@example.com', 'alice-secret-1', a)
    const victims = await Promise.all(Array.from({ length: 4 }, (_, i) => loggedIn('alice@example.com', 'alice-secret-1', on(i))))
    // Each victim keeps writing to its session on instance B while instance A destroys it.
    const racing = victims.flatMap(victim => Array.from({ length: 5 }, (_, i) => victim.clone().rpc(b, 'updateUser', { lastName: `Racer${i}` })))
    const destroyed = keeper.rpc(a, 'logoutOtherDevices')
    await Promise.all(racing)
    expect((await destroyed).status).toBe(200)
    for (const victim of victims) {
      for (const server of instances()) {
        expect((await victim.clone().rpc(server, 'getUser')).body.user).toBeNull()
      }
    }
    const sessions = (await keeper.rpc(b, 'listSessions')).body.sessions as { current: boolean }[]
    expect(sessions).toEqual([expect.objectContaining({ current: true })])
  })
})

describe('faults', () => {
  it('answers 503 problem+json within the timeout while Redis is down, renders anonymous pages, and recovers with no loss', async () => {
    const jar = await loggedIn('bob@example.com', 'bob-secret-1', b)
    await jar.rpc(a, 'addItemToWishlist', { productId: 42 })
    const cookie = jar.cookie
    await tallyKeysAndScans()
    await redis.stop()
    try {
      for (const server of instances()) {
        const started = Date.now()
        const answer = await jar.clone().rpc(server, 'getWishlist')
        const elapsed = Date.now() - started
        console.log(`[measure] outage: 503 after ${elapsed} ms`)
        expect(answer.status).toBe(503)
        expect(answer.body).toMatchObject({ status: 503, title: 'Service Unavailable' })
        expect(answer.setCookie).toEqual([])
        expect(elapsed).toBeLessThan(2500)
        expect((await server.fetch('/p/1')).status).toBe(200)
      }
    }
    finally {
      await redis.start()
    }
    // Each instance reconnects by itself (ioredis backs off up to 2 s between attempts): no restart needed.
    for (const server of instances()) {
      await expect.poll(async () => (await jar.clone().rpc(server, 'getWishlist')).status, { timeout: 10_000 }).toBe(200)
    }
    expect(jar.cookie).toBe(cookie)
    for (const server of instances()) {
      expect((await jar.clone().rpc(server, 'getWishlist')).body.items).toContainEqual({ productId: 42 })
      expect((await jar.clone().rpc(server, 'getUser')).body.user.email).toBe('bob@example.com')
    }
  })

  it('loses no session, basket, wishlist or index entry when every instance and Redis restart', async () => {
    const jars = await Promise.all([0, 1, 2].map(i => loggedIn('alice@example.com', 'alice-secret-1', on(i))))
    const guest = await guestWith([[3101, 3]])
    await guest.rpc(b, 'addItemToWishlist', { productId: 31 })
    const before = {
      basket: (await jars[0]!.rpc(a, 'getBasket')).body.items,
      sessions: ((await jars[0]!.rpc(a, 'listSessions')).body.sessions as unknown[]).length,
    }
    await Promise.all([a.stop(), b.stop()])
    await tallyKeysAndScans()
    await redis.stop()
    await redis.start()
    await Promise.all([a.restart(), b.restart()])
    for (const [i, jar] of jars.entries()) {
      expect((await jar.rpc(on(i + 1), 'getUser')).body.user.email).toBe('alice@example.com')
    }
    expect((await jars[1]!.rpc(b, 'getBasket')).body.items).toEqual(before.basket)
    expect(((await jars[2]!.rpc(a, 'listSessions')).body.sessions as unknown[]).length).toBe(before.sessions)
    expect((await guest.rpc(a, 'getBasket')).body.items).toEqual([{ variantId: 3101, quantity: 3 }])
    expect((await guest.rpc(b, 'getWishlist')).body.items).toEqual([{ productId: 31 }])
  })
})

it('issued no KEYS and no SCAN during the whole run', async () => {
  await tallyKeysAndScans()
  const stats = await redis.commandStats()
  expect(stats.get ?? 0).toBeGreaterThan(0)
  expect(keysAndScans).toBe(0)
})
