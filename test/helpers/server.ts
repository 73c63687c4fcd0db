import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { FIXTURES } from './build-fixtures'
import { freePort } from './redis'

/** A 40-character secret for test servers (production refuses shorter ones). */
export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopq'

/** A built fixture served by `node .output/server/index.mjs` on 127.0.0.1. */
export interface FixtureServer {
  url: string
  port: number
  /** Everything the process printed. */
  logs: () => string
  /** fetch against this server: `server.fetch('/api/x', init)`. */
  fetch: (path: string, init?: RequestInit) => Promise<Response>
  /** Stops the process and waits for its exit. */
  stop: () => Promise<void>
  /** Starts it again on the same port, optionally with other environment variables. */
  restart: (env?: Record<string, string>) => Promise<void>
}

/**
 * Starts a built fixture in production mode and resolves once it listens.
 * @param fixture which app
 * @param env environment variables (the secret defaults to {@link TEST_SECRET})
 * @returns the server
 */
export function startFixtureServer(fixture: keyof typeof FIXTURES, env: Record<string, string> = {}): Promise<FixtureServer> {
  // The basic fixture chooses no store at build time: a production start must name one, the embedded store by default here.
  // Suites log the same demo accounts in hundreds of times from one address: the login limiter's own test sets its limits.
  return startBuiltServer(FIXTURES[fixture], env, {
    ...process.env,
    NODE_ENV: 'production',
    NUXT_STOREFRONT_SESSION_SECRET: TEST_SECRET,
    NUXT_STOREFRONT_STORAGE_SESSION_DRIVER: 'memory',
    NUXT_STOREFRONT_LOGIN_LIMIT_PER_ACCOUNT: '1000000',
    NUXT_STOREFRONT_LOGIN_LIMIT_PER_ADDRESS: '1000000',
  })
}

/**
 * Starts a built Nuxt app (`<appDir>/.output`) with exactly `base` and `env` as its environment, plus PORT and HOST.
 * @param appDir the app's folder
 * @param env variables of this start; `restart(env)` replaces them
 * @param base variables of every start
 * @returns the server
 */
export async function startBuiltServer(appDir: string, env: Record<string, string>, base: NodeJS.ProcessEnv = {}): Promise<FixtureServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  let output = ''
  let currentEnv = env

  async function start() {
    output = ''
    const proc = spawn('node', [`${appDir}/.output/server/index.mjs`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...base, ...currentEnv, PORT: String(port), HOST: '127.0.0.1' },
    })
    child = proc
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Listening on')) resolve()
      }
      proc.stdout!.on('data', onData)
      proc.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      proc.once('exit', code => reject(new Error(`server exited with ${code}:\n${output}`)))
    })
  }

  const server: FixtureServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    logs: () => output,
    fetch: (path, init) => fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual', ...init }),
    async stop() {
      const proc = child
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
      proc.kill('SIGTERM')
      await exited
    },
    async restart(env?: Record<string, string>) {
      await server.stop()
      if (env) currentEnv = env
      await start()
    },
  }
  await start()
  return server
}

/**
 * Runs a built fixture that is expected to refuse to start.
 * @param fixture which app
 * @param env environment variables
 * @returns the exit code and what it printed
 */
export async function runFixtureExpectingExit(fixture: keyof typeof FIXTURES, env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  const port = await freePort()
  const proc = spawn('node', [`${FIXTURES[fixture]}/.output/server/index.mjs`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production', NUXT_STOREFRONT_SESSION_SECRET: '', ...env, PORT: String(port), HOST: '127.0.0.1' },
  })
  let output = ''
  proc.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    // A server that starts after all is stopped, so that the test fails instead of hanging.
    if (output.includes('Listening on')) proc.kill('SIGTERM')
  })
  proc.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const code = await new Promise<number | null>(resolve => proc.once('exit', code => resolve(code)))
  return { code, output }
}
