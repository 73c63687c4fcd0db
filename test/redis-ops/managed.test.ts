import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startRedis } from '../helpers/redis'
import type { RedisProcess } from '../helpers/redis'
import { makeCertificates } from '../helpers/redis-tls'
import type { TestCertificates } from '../helpers/redis-tls'
import { startFixtureServer } from '../helpers/server'
import type { FixtureServer } from '../helpers/server'
import { createShopper } from '../helpers/shopper'
import { runCli } from '../helpers/operator-cli'

// Production Redis as operators run it, configured only through NUXT_STOREFRONT_* variables of a built server:
// TLS with a throwaway CA and the README's least-privilege ACL user, fatal errors, a write pause, eviction policy.
const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {})
})

async function serve(env: Record<string, string>): Promise<FixtureServer> {
  const server = await startFixtureServer('basic', { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', ...env })
  cleanups.push(() => server.stop())
  return server
}

const put = (server: FixtureServer, cookie?: string, key = 'k') => server.fetch('/api/session/put', {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
  body: JSON.stringify({ key, value: 1 }),
})

const cookieOf = (response: Response) => response.headers.getSetCookie()[0]!.split(';')[0]!

/**
 * An `ACL SETUSER` line of the README, as an operator pastes it.
 * @param user `storefront` (the app's) or `storefront-ops` (the operator CLI's)
 * @returns the line
 */
function readmeAclLine(user = 'storefront'): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const line = new RegExp(`^ACL SETUSER ${user} .*$`, 'm').exec(readme)?.[0]
  if (!line) throw new Error(`the README has no ACL SETUSER ${user} line`)
  return line
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

describe('TLS with a throwaway CA and the README\'s ACL user, configured only through the environment', () => {
  let certs: TestCertificates
  let port: number
  let admin: Redis
  const password = 'storefront-acl-password-0123456789'

  beforeAll(async () => {
    certs = makeCertificates()
    cleanups.push(() => certs.dispose())
    port = await freePort()
    // Plain TCP off; TLS with client certificates required.
    const redis = await startRedis({
      port,
      args: ['--port', '0', '--tls-port', String(port), '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey,
        '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'yes', '--maxmemory-policy', 'noeviction'],
    })
    cleanups.push(() => redis.dispose())
    admin = new Redis({ host: '127.0.0.1', port, tls: { ca: certs.pem(certs.ca), cert: certs.pem(certs.clientCert), key: certs.pem(certs.clientKey), servername: 'localhost' } })
    cleanups.push(() => admin.disconnect())
    // Exactly the README's line; only the password placeholder is filled in.
    const [, , ...args] = readmeAclLine().replace('<password>', password).split(/\s+/)
    expect(await admin.call('ACL', 'SETUSER', ...args)).toBe('OK')
  })

  it('runs every store operation with only the commands the ACL line allows', async () => {
    const server = await serve({
      NUXT_STOREFRONT_STORAGE_SESSION_URL: `rediss://storefront:${password}@127.0.0.1:${port}`,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_CA: certs.ca,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_CERT: certs.pem(certs.clientCert),
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_KEY: certs.clientKey,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_SERVERNAME: 'localhost',
    })
    await admin.call('ACL', 'LOG', 'RESET')
    const guest = createShopper(server)
    expect((await guest.rpc('addItemToBasket', { variantId: 7, quantity: 2 })).status).toBe(200)
    expect((await guest.rpc('addItemToWishlist', { productId: 9 })).status).toBe(200)
    // Login counts the attempt (the limiter's script), then merges the guest basket and wishlist (merge scripts, the
    // login lock, deletes).
    expect((await guest.rpc('loginAs', { userId: 'acl-user', limited: true })).status).toBe(200)
    expect((await guest.rpc('getBasket')).body.items).toEqual([{ variantId: 7, quantity: 2 }])
    expect((await guest.rpc('getWishlist')).body.items).toEqual([{ productId: 9 }])
    const other = createShopper(server)
    expect((await other.rpc('loginAs', { userId: 'acl-user' })).status).toBe(200)
    expect((await guest.rpc('listSessions')).body.sessions).toHaveLength(2)
    expect((await guest.rpc('logoutOtherDevices')).body).toEqual({ destroyed: 1 })
    expect((await other.rpc('getUser')).body.user).toBeNull()
    const session = await put(server)
    expect(session.status).toBe(200)
    expect((await server.fetch('/api/session/destroy', { method: 'POST', headers: { cookie: cookieOf(session) } })).status).toBe(200)
    // Redis denied nothing, and the server logged neither a permission problem nor an eviction warning.
    expect(await admin.call('ACL', 'LOG')).toEqual([])
    expect(server.logs()).not.toMatch(/NOPERM|cannot use Redis|maxmemory-policy/)
    // What the line allows beyond the requests above: WAIT for durable writes, CLUSTER SLOTS for a cluster, INFO
    // for the eviction check; and what it refuses: FLUSHALL, KEYS, CONFIG, keys outside the prefix.
    for (const command of [['WAIT', '1', '10'], ['CLUSTER', 'SLOTS'], ['INFO', 'memory'], ['GET', 'storefront:x']]) {
      expect(await admin.call('ACL', 'DRYRUN', 'storefront', ...command)).toBe('OK')
    }
    for (const command of [['FLUSHALL'], ['KEYS', '*'], ['CONFIG', 'GET', 'maxmemory-policy'], ['GET', 'other-app:x'], ['SCAN', '0']]) {
      expect(await admin.call('ACL', 'DRYRUN', 'storefront', ...command)).not.toBe('OK')
    }
  })

  it('runs the operator CLI\'s walks (count, end-shop) under the README\'s operator user', async () => {
    const [, , ...args] = readmeAclLine('storefront-ops').replace('<password>', password).split(/\s+/)
    expect(await admin.call('ACL', 'SETUSER', ...args)).toBe('OK')
    const tls = {
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_CA: certs.ca,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_CERT: certs.clientCert,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_KEY: certs.clientKey,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_SERVERNAME: 'localhost',
    }
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: `rediss://storefront:${password}@127.0.0.1:${port}`, ...tls })
    for (let i = 0; i < 3; i++) expect((await put(server)).status).toBe(200)
    await admin.call('ACL', 'LOG', 'RESET')
    const env = { NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'redis', NUXT_STOREFRONT_STORAGE_SESSION_URL: `rediss://storefront-ops:${password}@127.0.0.1:${port}`, ...tls }
    const counted = await runCli(['count', '--shop', '1001', '--json'], env)
    expect(counted.code, counted.stderr).toBe(0)
    expect(counted.json.shops[0].guestSessions).toBeGreaterThanOrEqual(3)
    const ended = await runCli(['end-shop', '--shop', '1001', '--yes', '--json'], env)
    expect(ended.code, ended.stderr).toBe(0)
    expect((await runCli(['count', '--shop', '1001', '--json'], env)).json.shops[0]).toMatchObject({ guestSessions: 0, userSessions: 0 })
    expect(await admin.call('ACL', 'LOG')).toEqual([])
    // The app's own user still may not walk the keyspace.
    expect(await admin.call('ACL', 'DRYRUN', 'storefront', 'SCAN', '0')).not.toBe('OK')
  })

  it('takes the user and password from their own variables, and the CA as a PEM', async () => {
    const server = await serve({
      NUXT_STOREFRONT_STORAGE_SESSION_URL: `rediss://127.0.0.1:${port}`,
      NUXT_STOREFRONT_STORAGE_SESSION_USERNAME: 'storefront',
      NUXT_STOREFRONT_STORAGE_SESSION_PASSWORD: password,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_CA: certs.pem(certs.ca),
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_CERT: certs.clientCert,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_KEY: certs.pem(certs.clientKey),
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_SERVERNAME: 'localhost',
    })
    const first = await put(server)
    expect(first.status).toBe(200)
    expect(await (await server.fetch('/api/session/state', { headers: { cookie: cookieOf(first) } })).json()).toMatchObject({ data: { k: 1 } })
    expect(server.logs()).not.toContain(password)
  })

  it('fails fast on an untrusted certificate, says once what to set, and keeps running', async () => {
    const server = await serve({
      NUXT_STOREFRONT_STORAGE_SESSION_URL: `rediss://storefront:${password}@127.0.0.1:${port}`,
      NUXT_STOREFRONT_STORAGE_SESSION_TLS_SERVERNAME: 'localhost',
    })
    await expect.poll(() => server.logs(), { timeout: 10_000 }).toContain('cannot use Redis')
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      expect((await put(server)).status).toBe(503)
      times.push(performance.now() - started)
    }
    console.log(`[measure] untrusted certificate: 503 in ${times.map(t => t.toFixed(1)).join(', ')} ms`)
    expect(median(times)).toBeLessThan(100)
    expect(server.logs().match(/cannot use Redis/g)).toHaveLength(1)
    expect(server.logs()).toContain('NUXT_STOREFRONT_STORAGE_SESSION_TLS_CA')
  })
})

describe('fatal and passing connection errors', () => {
  let redis: RedisProcess
  beforeAll(async () => {
    redis = await startRedis({ args: ['--requirepass', 'the-right-password-0123456789'] })
    cleanups.push(() => redis.dispose())
  })

  it('answers 503 in under 100 ms with a wrong password, logs once what to fix, and keeps running', async () => {
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: `redis://:wrong-password@127.0.0.1:${redis.port}` })
    await expect.poll(() => server.logs(), { timeout: 10_000 }).toContain('cannot use Redis')
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const response = await put(server)
      times.push(performance.now() - started)
      expect(response.status).toBe(503)
      expect(response.headers.get('content-type')).toContain('application/problem+json')
    }
    console.log(`[measure] wrong password: 503 in ${times.map(t => t.toFixed(1)).join(', ')} ms`)
    expect(median(times)).toBeLessThan(100)
    const logs = server.logs()
    expect(logs.match(/cannot use Redis/g)).toHaveLength(1)
    expect(logs).toContain('WRONGPASS')
    expect(logs).toContain('NUXT_STOREFRONT_STORAGE_SESSION_URL')
    expect(logs).not.toContain('wrong-password')
  })

  it('answers 503 at once when the ACL lacks a command the module needs, and logs once what to fix', async () => {
    const admin = new Redis({ host: '127.0.0.1', port: redis.port, password: 'the-right-password-0123456789' })
    cleanups.push(() => admin.disconnect())
    // The README's line without the script commands.
    const [, , , ...args] = readmeAclLine().replace('<password>', 'limited-password-0123456789').replace(' +evalsha +eval', '').split(/\s+/)
    expect(await admin.call('ACL', 'SETUSER', 'limited', ...args)).toBe('OK')
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: `redis://limited:limited-password-0123456789@127.0.0.1:${redis.port}` })
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      expect((await put(server)).status).toBe(503)
      expect(performance.now() - started).toBeLessThan(1000)
    }
    const logs = server.logs()
    // One line per refused command (ioredis sends EVALSHA, and EVAL for a script the server may not know), however
    // many requests failed.
    const lines = logs.match(/cannot use Redis: NOPERM[^\n]*/g) ?? []
    expect(lines.length).toBeGreaterThanOrEqual(1)
    expect(new Set(lines).size).toBe(lines.length)
    expect(lines.every(line => /'eval(?:sha)?'/.test(line))).toBe(true)
    expect(logs).toContain('ACL SETUSER')
  })

  it('says at start that Redis is not reachable, and uses it once it comes up', async () => {
    const port = await freePort()
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: `redis://127.0.0.1:${port}`, NUXT_STOREFRONT_STORE_TIMEOUT: '500' })
    await expect.poll(() => server.logs(), { timeout: 10_000 }).toContain('is not connected to Redis after 500 ms')
    expect((await put(server)).status).toBe(503)
    const late = await startRedis({ port })
    cleanups.push(() => late.dispose())
    await expect.poll(async () => (await put(server)).status, { timeout: 15_000 }).toBe(200)
  })
})

describe('a write pause (CLIENT PAUSE 3000 WRITE, as managed services do during maintenance)', () => {
  it('keeps answering read-only requests while writes wait', async () => {
    const redis = await startRedis()
    cleanups.push(() => redis.dispose())
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url })
    const cookies: string[] = []
    for (let i = 0; i < 5; i++) cookies.push(cookieOf(await put(server)))
    const admin = redis.client()
    cleanups.push(() => admin.disconnect())
    expect(await admin.call('CLIENT', 'PAUSE', '3000', 'WRITE')).toBe('OK')
    const pausedAt = Date.now()
    // Writes are held by Redis; reads sent after them must not queue behind them.
    const writes = cookies.map(cookie => put(server, cookie, 'during-pause'))
    const reads: { status: number, ms: number }[] = []
    while (Date.now() - pausedAt < 2500) {
      const results = await Promise.all(cookies.map(async (cookie) => {
        const started = Date.now()
        const response = await server.fetch('/api/session/state', { headers: { cookie } })
        return { status: response.status, ms: Date.now() - started }
      }))
      reads.push(...results)
    }
    const writeStatuses = (await Promise.all(writes)).map(response => response.status)
    console.log(`[measure] CLIENT PAUSE 3000 WRITE: ${reads.length} reads, statuses ${JSON.stringify(countBy(reads.map(r => r.status)))}, slowest ${Math.max(...reads.map(r => r.ms))} ms; writes ${JSON.stringify(countBy(writeStatuses))}`)
    expect(reads.length).toBeGreaterThan(cookies.length)
    expect(reads.every(read => read.status === 200)).toBe(true)
  })
})

describe('eviction policy', () => {
  it('warns when Redis runs with allkeys-lru', async () => {
    const redis = await startRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] })
    cleanups.push(() => redis.dispose())
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url })
    await expect.poll(() => server.logs(), { timeout: 10_000 }).toContain(`Redis at 127.0.0.1:${redis.port} runs with maxmemory-policy allkeys-lru`)
    expect(server.logs()).toContain('Set maxmemory-policy noeviction')
  })

  it('says nothing with noeviction or a volatile policy', async () => {
    const redis = await startRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'volatile-lru'] })
    cleanups.push(() => redis.dispose())
    const server = await serve({ NUXT_STOREFRONT_STORAGE_SESSION_URL: redis.url })
    expect((await put(server)).status).toBe(200)
    expect(server.logs()).not.toContain('maxmemory-policy')
  })
})

function countBy(values: (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}
