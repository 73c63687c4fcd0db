import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Every built app the e2e and browser tests run against. */
export const FIXTURES = {
  basic: fileURLToPath(new URL('../fixtures/basic', import.meta.url)),
  playground: fileURLToPath(new URL('../../playground', import.meta.url)),
} as const

/**
 * Vitest global setup: builds each fixture once per run with `nuxi build`, so that test files only start servers.
 * STOREFRONT_TEST_PREBUILT=1 reuses existing builds while iterating locally.
 */
export default function buildFixtures() {
  // Several test projects name this setup; the first one builds for all of them.
  if (process.env.STOREFRONT_FIXTURES_BUILT === '1') return
  for (const [name, dir] of Object.entries(FIXTURES)) {
    if (process.env.STOREFRONT_TEST_PREBUILT === '1' && existsSync(`${dir}/.output/server/index.mjs`)) {
      continue
    }
    const started = Date.now()
    const result = spawnSync('npx', ['nuxi', 'build', dir], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } })
    if (result.status !== 0) {
      throw new Error(`building the ${name} fixture failed:\n${result.stdout}\n${result.stderr}`)
    }
    console.log(`[e2e] built ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  process.env.STOREFRONT_FIXTURES_BUILT = '1'
}
