import { defineConfig } from 'vitest/config'
import { defineVitestProject } from '@nuxt/test-utils/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/build-fixtures.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // Built servers and redis-server processes are started per file; two files at once fit two cores.
          maxWorkers: 2,
        },
      },
      {
        test: {
          // Failovers, TLS, ACL and write pauses on real redis-server and sentinel processes, each bounded (20
          // shoppers, a few seconds of load); one file at a time, so that the timings are not two scenarios' sum.
          name: 'redis-ops',
          include: ['test/redis-ops/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/build-fixtures.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/build-fixtures.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // One file runs its flows in order (they share a server); files run one at a time.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/build-fixtures.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'bench',
          include: ['test/bench/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/build-fixtures.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      await defineVitestProject({
        test: {
          name: 'nuxt',
          include: ['test/nuxt/**/*.test.ts'],
          environmentOptions: { nuxt: { rootDir: '.' } },
        },
      }),
    ],
  },
})
