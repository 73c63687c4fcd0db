import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'
import { BUILD_DIR, ENGINE_BUNDLE, PLAYGROUND_SERVER, ROOT, TELEMETRY_BUNDLE } from './paths.mjs'

// The engine's TypeScript uses extensionless relative imports, which Node's type stripping cannot resolve, so the
// bench bundles it with esbuild (a dependency of nuxt). Packages stay external and resolve from node_modules, as they
// do for the published module.
const ENTRY = `
export * from './src/runtime/server/session/index.ts'
export { createSessionDriver, sessionKeys, userKeys } from './src/runtime/server/store/index.ts'
export { encodeMeta } from './src/runtime/server/store/record.ts'
`
// The store's OpenTelemetry wrapper, in a bundle of its own: the engine bundle never loads @opentelemetry/api, so that
// variant 2 runs with OpenTelemetry absent and variant 2b with the API present (and no SDK).
const TELEMETRY_ENTRY = `
export { instrumentSessionStore } from './src/runtime/server/telemetry.ts'
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
  await bundle(TELEMETRY_ENTRY, TELEMETRY_BUNDLE)
  return await bundle(ENTRY, ENGINE_BUNDLE)
}

async function bundle(contents, outfile) {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, sourcefile: 'bench-entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    tsconfig: `${BUILD_DIR}tsconfig.json`,
    sourcemap: true,
    outfile,
    write: false,
    logLevel: 'warning',
  })
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`
    writeFileSync(temporary, file.contents)
    renameSync(temporary, file.path)
  }
  return outfile
}

/**
 * Builds the playground (`nuxi build playground`, as `npm run dev:build` does) unless it is built already: variants
 * 5 and 6 and the store-command counts run on it, so that a fresh clone needs only `npm install` before the bench.
 * A clone that was never prepared gets `npm run dev:prepare` first (the build needs the module's generated types).
 * An existing build is used as it is; rebuild it after changing `src/`.
 * @param {(line: string) => void} log progress lines
 * @returns {Promise<boolean>} true when it built the playground now
 */
export async function ensurePlaygroundBuilt(log) {
  if (existsSync(PLAYGROUND_SERVER)) {
    return false
  }
  const started = Date.now()
  if (!existsSync(`${ROOT}.nuxt/tsconfig.json`)) {
    log('preparing the module (npm run dev:prepare): this clone was never prepared')
    await runQuietly('npm', ['run', 'dev:prepare'], {})
  }
  log('building the playground (variants 5 and 6, store commands): no playground/.output yet')
  await runQuietly('npx', ['nuxi', 'build', 'playground'], { NODE_ENV: 'production' })
  if (!existsSync(PLAYGROUND_SERVER)) {
    throw new Error(`building the playground left no ${PLAYGROUND_SERVER}`)
  }
  log(`built the playground in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return true
}

/**
 * Runs a command in the repository root, keeping its output for the error should it fail.
 * @param {string} command the program
 * @param {string[]} args its arguments
 * @param {Record<string, string>} env extra environment
 * @returns {Promise<void>} once it exited with 0
 */
async function runQuietly(command, args, env) {
  let output = ''
  const code = await new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    const collect = (chunk) => {
      output += chunk
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output.slice(-3000)}`)
  }
}
