import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The package test (npm run test:consumer): packs the module and runs the consumer app against the tarball. It runs
// on its own, after the other suites, because it installs, typechecks and builds a whole app.
export default defineConfig({
  test: {
    name: 'package',
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/package/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
})
