import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'
import { BUILD_DIR, ENGINE_BUNDLE, ROOT } from './paths.mjs'

// The engine's TypeScript uses extensionless relative imports, which Node's type stripping cannot resolve, so the
// bench bundles it with esbuild (a dependency of nuxt). Packages stay external and resolve from node_modules, as they
// do for the published module.
const ENTRY = `
export * from './src/runtime/server/session/index.ts'
export { sessionKeys, userKeys } from './src/runtime/server/session/keys.ts'
export { createSessionDriver } from './src/runtime/server/session/drivers.ts'
`

/**
 * Bundles the session engine of src/ into bench/results/.build/session.mjs, with a source map for profiles. Written
 * through a temporary file, so that a run that starts meanwhile never imports half a bundle.
 * @returns {Promise<string>} the bundle's path
 */
export async function buildEngine() {
  mkdirSync(BUILD_DIR, { recursive: true })
  // The root tsconfig maps packages such as h3 to paths, which would make esbuild bundle them: use an empty one.
  writeFileSync(`${BUILD_DIR}tsconfig.json`, '{}\n')
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'bench-entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    tsconfig: `${BUILD_DIR}tsconfig.json`,
    sourcemap: true,
    outfile: ENGINE_BUNDLE,
    write: false,
    logLevel: 'warning',
  })
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`
    writeFileSync(temporary, file.contents)
    renameSync(temporary, file.path)
  }
  return ENGINE_BUNDLE
}
