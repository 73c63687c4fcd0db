import type { FixtureServer } from './server'
import { createShopper } from './shopper'
import type { Shopper } from './shopper'

/** One request of the load. */
interface Sample {
  kind: 'write' | 'read'
  start: number
  end: number
  status: number
  detail?: string
}

/** What a bounded load around a fault saw. */
export interface FailoverReport {
  requests: number
  /** Answers that were not 200, by status. */
  errors: Record<string, number>
  errorCount: number
  /** Writes (basket adds) answered 200. */
  acknowledgedWrites: number
  /** Acknowledged adds missing from the basket afterwards. */
  lostWrites: number
  /** Shoppers whose login was gone afterwards or who saw `getUser` answer `user: null` (a silent logout). */
  sessionsLost: number
  /** From the start of the first failed request to the end of the last one, in ms (0 without failures). */
  windowMs: number
  /** From the fault's end to the first successful write that started after it, in ms. */
  recoveryMs: number
  /** The distinct problem details of failed writes, with when they first happened (ms after the fault's end). */
  failures: string[]
  /** How long the check after the load waited for the store to answer other than 503, in ms. */
  checkWaitMs: number
}

/**
 * Runs `shoppers` logged-in shoppers against a server, each adding a new basket line and reading its user in turn,
 * runs `fault` once the load is going, keeps the load on until `settle` writes succeeded after the fault (bounded by
 * `timeoutMs`), then checks every shopper's basket and login.
 * @param server the built fixture (basic: it has `loginAs`)
 * @param options the load and the fault
 * @param options.shoppers how many shoppers
 * @param options.fault what to break (and, if it is planned, repair); returns when done
 * @param options.settleWrites successful writes after the fault before the load stops
 * @param options.timeoutMs the longest the load runs after the fault
 * @param options.verifyTimeoutMs the longest a call outside the load (a login before it, the check after it) is tried again while the store answers 503
 * @returns the report
 */
export async function runFailoverLoad(server: FixtureServer, options: { shoppers?: number, fault: () => Promise<void>, settleWrites?: number, timeoutMs?: number, verifyTimeoutMs?: number }): Promise<FailoverReport> {
  const count = options.shoppers ?? 20
  const samples: Sample[] = []
  const acked = new Map<number, number[]>()
  const silentLogout = new Set<number>()
  const shoppers: Shopper[] = []
  // A call made outside the load (the logins before it, the check after it) is tried again while it answers 503,
  // for a bounded time: a server that has just started answers 503 until its store is connected, and right after the
  // load the store may still refuse writes (durable mode refuses them until a replica confirms again; a second
  // failover may be under way), which is no lost data. Any other answer, or a 503 past the bound, fails the run.
  const answered = async (shopper: Shopper, name: string, params?: Record<string, unknown>) => {
    const start = Date.now()
    for (let attempt = 0; ; attempt++) {
      const response = await shopper.rpc(name, params)
      // Waited: from the first answer 503 to the 200, 0 when the first answer was one.
      if (response.status === 200) return { response, waitedMs: attempt === 0 ? 0 : Date.now() - start }
      if (response.status !== 503 || Date.now() - start > (options.verifyTimeoutMs ?? 30_000)) {
        throw new Error(`${name} outside the load failed: ${response.status} ${JSON.stringify(response.body)}\n${server.logs().slice(-4000)}`)
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  for (let i = 0; i < count; i++) {
    const shopper = createShopper(server, { seen: [] })
    await answered(shopper, 'loginAs', { userId: `shopper-${i}` })
    shoppers.push(shopper)
    acked.set(i, [])
  }
  let stopped = false
  let variant = 0
  const loops = shoppers.map(async (shopper, i) => {
    for (let round = 0; !stopped; round++) {
      shopper.seen.length = 0
      if (round % 10 === 9) {
        // A new login now and then: a session created during the fault must survive it too.
        const start = Date.now()
        const login = await shopper.rpc('loginAs', { userId: `shopper-${i}` })
        samples.push({ kind: 'write', start, end: Date.now(), status: login.status })
      }
      const variantId = ++variant
      let start = Date.now()
      const add = await shopper.rpc('addItemToBasket', { variantId, quantity: 1 })
      samples.push({ kind: 'write', start, end: Date.now(), status: add.status, detail: add.body?.detail })
      if (add.status === 200) acked.get(i)!.push(variantId)
      start = Date.now()
      const user = await shopper.rpc('getUser')
      samples.push({ kind: 'read', start, end: Date.now(), status: user.status })
      if (user.status === 200 && user.body.user === null) {
        silentLogout.add(i)
        // Logged in again, so that the load goes on as the same user (the basket is the user's, not the session's).
        await shopper.rpc('loginAs', { userId: `shopper-${i}` })
      }
      // A shopper whose requests both failed tries again after 25 ms, as a client backs off. Retried at once, 20
      // shoppers sent close to 3,000 requests a second of fast 503s, which on two cores can starve the redis and
      // sentinel processes long enough for the sentinels to declare a primary that is alive down (1 s): in one run a
      // second failover promoted the replica while the old primary kept taking writes.
      if (add.status !== 200 && user.status !== 200) await new Promise(resolve => setTimeout(resolve, 25))
    }
  })
  const until = async (probe: () => boolean, timeoutMs: number) => {
    const end = Date.now() + timeoutMs
    while (!probe() && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 20))
  }
  await until(() => samples.filter(sample => sample.status === 200).length >= count * 4, 20_000)
  const faultStart = Date.now()
  try {
    await options.fault()
  }
  catch (error) {
    // A fault that fails (a node that does not come back in time) fails the test: the load stops first, so that
    // no request of it outlives the test and its server.
    stopped = true
    await Promise.all(loops)
    throw error
  }
  const faultEnd = Date.now()
  const settle = options.settleWrites ?? count * 4
  const okAfter = () => samples.filter(sample => sample.kind === 'write' && sample.start >= faultEnd && sample.status === 200)
  await until(() => okAfter().length >= settle, options.timeoutMs ?? 30_000)
  stopped = true
  await Promise.all(loops)

  // The check reads through the server, and its login is a write: each call waits while the store answers 503.
  let checkWaitMs = 0
  const verified = async (shopper: Shopper, name: string, params?: Record<string, unknown>) => {
    const { response, waitedMs } = await answered(shopper, name, params)
    checkWaitMs += waitedMs
    return response
  }
  let lostWrites = 0
  let sessionsLost = 0
  for (const [i, shopper] of shoppers.entries()) {
    const user = await verified(shopper, 'getUser')
    if (user.body.user === null || silentLogout.has(i)) sessionsLost++
    const checker = createShopper(server, { seen: [] })
    await verified(checker, 'loginAs', { userId: `shopper-${i}` })
    const basket = await verified(checker, 'getBasket')
    const stored = new Set((basket.body.items as { variantId: number }[]).map(item => item.variantId))
    lostWrites += acked.get(i)!.filter(id => !stored.has(id)).length
  }
  const failed = samples.filter(sample => sample.status !== 200 && sample.start >= faultStart - 1000)
  const errors: Record<string, number> = {}
  for (const sample of samples.filter(sample => sample.status !== 200)) errors[sample.status] = (errors[sample.status] ?? 0) + 1
  const firstOk = okAfter().sort((a, b) => a.end - b.end)[0]
  return {
    requests: samples.length,
    errors,
    errorCount: samples.length - samples.filter(sample => sample.status === 200).length,
    acknowledgedWrites: [...acked.values()].reduce((sum, list) => sum + list.length, 0),
    lostWrites,
    sessionsLost,
    windowMs: failed.length > 0 ? Math.max(...failed.map(s => s.end)) - Math.min(...failed.map(s => s.start)) : 0,
    recoveryMs: firstOk ? firstOk.end - faultEnd : Number.POSITIVE_INFINITY,
    checkWaitMs,
    failures: [...new Map(samples.filter(sample => sample.detail).map(sample => [sample.detail, `${sample.start - faultEnd} ms: ${sample.detail}`])).values()].slice(0, 8),
  }
}

/**
 * One line for the test output and the README tables.
 * @param scenario its name
 * @param report what the load saw
 * @returns the line
 */
export function describeReport(scenario: string, report: FailoverReport): string {
  return `[measure] ${scenario}: ${report.requests} requests, window ${report.windowMs} ms, errors ${JSON.stringify(report.errors)}, `
    + `acknowledged writes ${report.acknowledgedWrites}, lost ${report.lostWrites}, sessions lost ${report.sessionsLost}, first write ok ${report.recoveryMs} ms after the fault`
    + (report.checkWaitMs > 0 ? `, the check waited ${report.checkWaitMs} ms for the store` : '')
}
