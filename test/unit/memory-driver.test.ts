import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createStorage } from 'unstorage'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MemoryDriverOptions } from '../../src/runtime/server/store'
import { MEMORY_DRIVER_NAME, storefrontMemoryDriver } from '../../src/runtime/server/store'

interface MemoryInstance {
  data: Map<string, unknown>
  sweep: () => void
}

const disposers: (() => Promise<void>)[] = []

function memoryStorage(options: MemoryDriverOptions = { sweepIntervalMs: 0 }) {
  const driver = storefrontMemoryDriver(options)
  const storage = createStorage({ driver })
  disposers.push(() => storage.dispose())
  return { driver, storage, instance: driver.getInstance!() as MemoryInstance }
}

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
})

afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose()
  vi.useRealTimers()
})

describe('storefrontMemoryDriver', () => {
  it('registers under its own name', () => {
    expect(memoryStorage().driver.name).toBe(MEMORY_DRIVER_NAME)
  })

  it('stores and removes values', async () => {
    const { storage } = memoryStorage()
    await storage.setItem('1001:{g:x}:s', { m: '{}', a: '1' })
    expect(await storage.getItem('1001:{g:x}:s')).toEqual({ m: '{}', a: '1' })
    await storage.removeItem('1001:{g:x}:s')
    expect(await storage.getItem('1001:{g:x}:s')).toBeNull()
    expect(await storage.hasItem('1001:{g:x}:s')).toBe(false)
  })

  it('honours ttl in seconds', async () => {
    const { storage } = memoryStorage()
    await storage.setItem('short', 'v', { ttl: 10 })
    await storage.setItem('forever', 'v')

    vi.setSystemTime(Date.now() + 9_999)
    expect(await storage.getItem('short')).toBe('v')
    expect(await storage.hasItem('short')).toBe(true)

    vi.setSystemTime(Date.now() + 1)
    expect(await storage.getItem('short')).toBeNull()
    expect(await storage.hasItem('short')).toBe(false)

    vi.setSystemTime(Date.now() + 365 * 86_400_000)
    expect(await storage.getItem('forever')).toBe('v')
  })

  it('restarts the ttl when a key is written again', async () => {
    const { storage } = memoryStorage()
    await storage.setItem('k', 'v1', { ttl: 10 })
    vi.setSystemTime(Date.now() + 8_000)
    await storage.setItem('k', 'v2', { ttl: 10 })
    vi.setSystemTime(Date.now() + 8_000)
    expect(await storage.getItem('k')).toBe('v2')
  })

  it('keeps at most maxEntries, dropping the least recently written', async () => {
    const { storage } = memoryStorage({ maxEntries: 3, sweepIntervalMs: 0 })
    await storage.setItem('a', 1)
    await storage.setItem('b', 2)
    await storage.setItem('c', 3)
    await storage.setItem('a', 10)
    // Reading does not count as a write.
    expect(await storage.getItem('b')).toBe(2)
    await storage.setItem('d', 4)

    expect(await storage.getItem('b')).toBeNull()
    expect(await storage.getItem('a')).toBe(10)
    expect(await storage.getItem('c')).toBe(3)
    expect(await storage.getItem('d')).toBe(4)
    expect((await storage.getKeys()).sort()).toEqual(['a', 'c', 'd'])
  })

  it('evicts guests\' keys before anything of a user, least recently written first', async () => {
    const { storage } = memoryStorage({ maxEntries: 4, sweepIntervalMs: 0 })
    await storage.setItem('1001:{u:alice}:s:h', 'session')
    await storage.setItem('1001:{u:alice}:b', 'basket')
    for (let i = 0; i < 10; i++) {
      await storage.setItem(`1001:{g:${i}}:s`, 'guest')
      await storage.setItem(`1001:{g:${i}}:b`, 'guest basket')
    }
    expect((await storage.getKeys()).sort()).toEqual(['1001:{g:9}:b', '1001:{g:9}:s', '1001:{u:alice}:b', '1001:{u:alice}:s:h'])
    // With no guest left, users' keys go, least recently written first.
    await storage.removeItem('1001:{g:9}:b')
    await storage.removeItem('1001:{g:9}:s')
    for (const user of ['bob', 'carol', 'dave']) await storage.setItem(`1001:{u:${user}}:p`, user)
    expect((await storage.getKeys()).sort()).toEqual(['1001:{u:alice}:b', '1001:{u:bob}:p', '1001:{u:carol}:p', '1001:{u:dave}:p'])
  })

  it('evicts login counters and Idempotency-Key records before a user\'s session', async () => {
    const { storage } = memoryStorage({ maxEntries: 3, sweepIntervalMs: 0 })
    await storage.setItem('1001:{u:alice}:s:h', 'session')
    await storage.setItem('1001:{u:alice}:p', 'profile')
    // A login flood with random accounts, and retries with fresh Idempotency-Keys.
    for (let i = 0; i < 20; i++) {
      await storage.setItem(`1001:{rl:a:account-${i}}`, 1)
      await storage.setItem(`1001:{u:alice}:k:key-${i}`, 'result')
    }
    expect((await storage.getKeys()).sort()).toEqual(['1001:{u:alice}:k:key-19', '1001:{u:alice}:p', '1001:{u:alice}:s:h'])
  })

  it('frees the memory of evicted and expired entries once swept', () => {
    // A full collection is needed to see what is still held: expose V8's gc to this test.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const heapUsed = () => {
      gc()
      gc()
      return process.memoryUsage().heapUsed
    }
    const { driver, instance } = memoryStorage({ maxEntries: 50_000, sweepIntervalMs: 0 })
    const before = heapUsed()
    const value = 'x'.repeat(40)
    // Four times the bound: the Map grows, evicts and rehashes many times over.
    for (let i = 0; i < 200_000; i++) driver.setItem!(`1001:{g:${i}}:s`, value, { ttl: 10 })
    expect(instance.data.size).toBe(50_000)
    const full = heapUsed() - before
    vi.advanceTimersByTime(11_000)
    instance.sweep()
    expect(instance.data.size).toBe(0)
    const left = heapUsed() - before
    // What is left is a small share of what the full store held (an eviction iterator that outlived the sweep kept
    // every outgrown hash table alive: most of it).
    expect(left).toBeLessThan(full / 4)
  })

  it('sweep() removes expired entries without a read', async () => {
    const { storage, instance } = memoryStorage()
    await storage.setItem('expired', 'v', { ttl: 1 })
    await storage.setItem('live', 'v', { ttl: 60 })
    await storage.setItem('forever', 'v')
    vi.setSystemTime(Date.now() + 1_000)
    expect([...instance.data.keys()].sort()).toEqual(['expired', 'forever', 'live'])

    instance.sweep()

    expect([...instance.data.keys()].sort()).toEqual(['forever', 'live'])
  })

  it('sweeps in the background every sweepIntervalMs', async () => {
    const { storage, instance } = memoryStorage({ sweepIntervalMs: 5_000 })
    await storage.setItem('expired', 'v', { ttl: 1 })
    await storage.setItem('live', 'v', { ttl: 60 })

    vi.advanceTimersByTime(4_999)
    expect(instance.data.has('expired')).toBe(true)
    vi.advanceTimersByTime(1)

    expect([...instance.data.keys()]).toEqual(['live'])
  })

  it('leaves expired entries out of getKeys', async () => {
    const { storage } = memoryStorage()
    await storage.setItem('x:expired', 'v', { ttl: 1 })
    await storage.setItem('x:live', 'v', { ttl: 60 })
    vi.setSystemTime(Date.now() + 1_000)
    expect(await storage.getKeys('x')).toEqual(['x:live'])
  })
})
