import { describe, expect, it } from 'vitest'
import { VARIANTS } from '../../bench/lib/variants.mjs'
import { runBench } from '../../bench/lib/suite.mjs'

// The smoke version of `npm run bench`: one round of 1 s per variant, and tiny scaling and memory runs. It checks that
// every variant serves the expected body (the bench verifies each one before and after its load and throws on a
// mismatch) and that every measurement runs. It asserts no speed: speed is for `npm run bench`, as ratios in one run.

describe('npm run bench (smoke)', () => {
  it('runs every variant and measurement on the right data', async () => {
    const result = await runBench({
      rounds: 1,
      duration: 1,
      warmup: 0,
      connections: 10,
      commands: true,
      scaling: { sizes: [1000], repeats: 3 },
      memory: { sessions: 10_000, maxEntries: 2000, ttlMs: 1000, sweepIntervalMs: 200 },
      shopperMemory: { population: 100 },
      durable: { rounds: 1, duration: 1, concurrency: 5 },
      ssrPage: { rounds: 1, duration: 1 },
      userSessions: { sessions: 2000, repeats: 3 },
      clientJs: true,
      // The paired measure's playground guard and product page, in one short block each: both sides serve the right
      // body before and after.
      pair: { comparisons: ['playground', 'ssr'], mode: 'together', blocks: 1, pairs: 2, interval: 0.3, warmup: 0, connections: 5, burnUs: 1 },
    })

    expect(result.throughput.map((variant: { id: string }) => variant.id)).toEqual(VARIANTS.map(variant => variant.id))
    for (const variant of result.throughput) {
      if (variant.skipped) {
        // Only the framework floor may be missing: it needs a route that the playground may not have yet.
        expect(variant.id).toBe('nitro-floor')
        expect(variant.skipped).toContain('/bench/floor')
        continue
      }
      expect(variant.rounds, variant.id).toHaveLength(1)
      expect(variant.rounds[0].requests, variant.id).toBeGreaterThan(0)
      expect(variant.failed, `${variant.id}: responses that were not 2xx`).toBe(0)
    }

    expect(result.commands.map((command: { label: string }) => command.label)).toHaveLength(9)
    for (const command of result.commands) {
      expect(command.status, command.label).toBe(200)
      expect(command.check, command.label).toBeUndefined()
    }

    expect(result.shopperMemory.map((m: { store: string, shopper: string }) => `${m.store} ${m.shopper}`)).toEqual(['module guest', 'module user', 'express-session guest', 'express-session user'])
    for (const m of result.shopperMemory) expect(m.bytes).toBeGreaterThan(0)
    expect(result.scaling).toHaveLength(1)
    expect(result.scaling[0]).toMatchObject({ sessions: 1000 })
    expect(result.scaling[0].samplesMs).toHaveLength(3)

    expect(result.memory.created).toBe(10_000)
    expect(result.memory.maxEntriesSeen).toBeLessThanOrEqual(2000)
    expect(result.memory.entriesAfterSweep).toBe(0)
    // The same run into unstorage's lru-cache driver, for the comparison.
    expect(result.memoryLru).toMatchObject({ driver: 'lru-cache', created: 10_000, entriesAfterSweep: 0 })
    expect(result.memoryLru.maxEntriesSeen).toBeLessThanOrEqual(2000)

    expect(result.durable.modes.map((mode: { mode: string }) => mode.mode)).toEqual(['default', 'durable'])
    for (const mode of result.durable.modes) expect(mode.writes, mode.mode).toBeGreaterThan(0)

    // The product page: each render was checked before and after its load (name, counts, heart).
    expect(result.ssrPage.variants.map((variant: { id: string }) => variant.id)).toEqual(['logged-in', 'anonymous', 'raw'])
    for (const variant of result.ssrPage.variants) {
      expect(variant.rounds[0].requests, variant.id).toBeGreaterThan(0)
      expect(variant.failed, variant.id).toBe(0)
    }
    expect(result.ssrPage.variants[1].commands).toBe(0)
    expect(result.userSessions).toMatchObject({ sessions: 2000, destroy: { destroyed: 2000 } })
    expect(result.userSessions.pageScripts.calls).toBe(3)
    expect(result.clientJs.apps.map((app: { id: string }) => app.id)).toEqual(['with', 'without'])
    for (const app of result.clientJs.apps) expect(app.files, app.id).toBeGreaterThan(0)
    for (const id of ['ssr-session-cpu', 'ssr-session-reads', 'session-page', 'session-scripts', 'client-js', 'durable-cost']) {
      expect(result.targets.map((target: { id: string }) => target.id)).toContain(id)
    }

    const [guard] = result.pair.comparisons
    expect(guard).toMatchObject({ id: 'playground', a: { id: 'playground-floor' }, b: { id: 'playground' }, failed: 0, atLeast: 0.9 })
    expect(guard.pairs).toHaveLength(2)
    for (const pair of guard.pairs) expect(pair.a.requests > 0 && pair.b.requests > 0).toBe(true)
    // The paired guard decides; the rounds' line is shown, not judged.
    expect(result.targets.find((target: { id: string }) => target.id === 'pair-playground')).toBeDefined()
    expect(result.targets.find((target: { id: string }) => target.id === 'guard-playground-floor-cpu')?.met).toBeNull()
    const page = result.pair.comparisons[1]
    expect(page).toMatchObject({ id: 'ssr', a: { id: 'ssr-raw' }, b: { id: 'ssr-logged-in' }, failed: 0, atLeast: 0.97 })
    for (const pair of page.pairs) expect(pair.a.requests > 0 && pair.b.requests > 0).toBe(true)
    expect(result.targets.find((target: { id: string }) => target.id === 'pair-ssr')).toBeDefined()
    expect(result.targets.find((target: { id: string }) => target.id === 'ssr-session-cpu')?.met).toBeNull()

    expect(result.targets.length).toBeGreaterThan(0)
    // Two Nuxt builds for the client JavaScript, besides the rest.
  }, 420_000)
})
