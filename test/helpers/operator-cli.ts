import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { FIXTURES } from './build-fixtures'
import { TEST_SECRET } from './server'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = `${ROOT}src/runtime/cli/index.ts`
const JITI = `${ROOT}node_modules/jiti/lib/jiti-cli.mjs`

/** A run of the operator CLI (`nuxt-storefront-session`) from source, in the basic fixture's folder. */
export interface CliRun {
  child: ChildProcess
  /** What it printed on stdout and stderr so far. */
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code once it exited. */
  exited: Promise<number | null>
}

/**
 * Starts the CLI as an operator would in the app's folder: the fixture's nuxt config, with the production secret and
 * the given NUXT_STOREFRONT_* variables.
 * @param args the command and its options
 * @param env the store's variables
 * @returns the run
 */
export function startCli(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [JITI, CLI, ...args], {
    cwd: FIXTURES.basic,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NUXT_STOREFRONT_SESSION_SECRET: TEST_SECRET, ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/**
 * Runs the CLI to its end.
 * @param args the command and its options
 * @param env the store's variables
 * @returns the exit code, stdout (parsed when it is JSON) and stderr
 */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null, stdout: string, stderr: string, json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const run = startCli(args, env)
  const code = await run.exited
  let json: unknown
  try {
    json = JSON.parse(run.stdout())
  }
  catch {
    json = undefined
  }
  return { code, stdout: run.stdout(), stderr: run.stderr(), json }
}
