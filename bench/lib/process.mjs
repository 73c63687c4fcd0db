import { spawn, spawnSync } from 'node:child_process'

// The test suite's free-port finder (Node runs the .ts file directly).
export { freePort } from '../../test/helpers/redis.ts'

let tasksetWorks
/**
 * Tells whether processes can be pinned to a CPU with `taskset` (util-linux) on this machine.
 * @returns {boolean} true when `taskset -c 0` runs
 */
export function canPin() {
  tasksetWorks ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0
  return tasksetWorks
}

/**
 * The command line that runs `command` pinned to one CPU, or unpinned where taskset is missing.
 * @param {string | undefined} cpu the CPU list for `taskset -c`, or undefined for no pinning
 * @param {string} command the program
 * @param {string[]} args its arguments
 * @returns {[string, string[]]} program and arguments
 */
export function pinned(cpu, command, args) {
  return cpu !== undefined && canPin() ? ['taskset', ['-c', cpu, command, ...args]] : [command, args]
}

/**
 * @typedef {object} Child
 * @property {number} pid the process id (taskset replaces itself with the program, so this is the program's)
 * @property {() => string} logs everything the process printed
 * @property {() => Promise<void>} stop SIGTERM, then waits for the exit (SIGKILL after 5 s)
 */

/**
 * Starts a process and resolves once it prints a line matching `ready`.
 * @param {object} options
 * @param {string} options.name for error messages
 * @param {string} options.command the program
 * @param {string[]} options.args its arguments
 * @param {Record<string, string>} [options.env] extra environment
 * @param {string} [options.cpu] pin to this CPU with taskset
 * @param {RegExp} options.ready what it prints once it is ready
 * @param {number} [options.timeoutMs] how long to wait for `ready`
 * @param {number} [options.stopTimeoutMs] how long stop() waits after SIGTERM before SIGKILL
 * @returns {Promise<Child>} the running process
 */
export async function startProcess({ name, command, args, env = {}, cpu, ready, timeoutMs = 30_000, stopTimeoutMs = 5000 }) {
  const [program, programArgs] = pinned(cpu, command, args)
  const proc = spawn(program, programArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let output = ''
  const exited = new Promise(resolve => proc.once('exit', resolve))
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs)
    const onData = (chunk) => {
      output += chunk.toString()
      if (ready.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    proc.stdout.on('data', onData)
    proc.stderr.on('data', chunk => (output += chunk.toString()))
    proc.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output.slice(-2000)}`))
    })
  })
  try {
    await started
  }
  catch (error) {
    proc.kill('SIGKILL')
    throw error
  }
  // Keep draining, and keep the tail for error messages.
  proc.stdout.on('data', chunk => (output = (output + chunk.toString()).slice(-20_000)))
  return {
    pid: proc.pid,
    logs: () => output,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), stopTimeoutMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Runs a Node script to completion, pinned when asked, and parses the JSON it prints last on stdout.
 * @param {object} options
 * @param {string} options.script the script
 * @param {unknown} options.input passed as JSON in argv[2]
 * @param {string} [options.cpu] pin to this CPU with taskset
 * @param {string[]} [options.nodeArgs] flags for node
 * @returns {Promise<any>} what the script printed
 */
export function runNodeScript({ script, input, cpu, nodeArgs = [] }) {
  const [program, args] = pinned(cpu, process.execPath, [...nodeArgs, script, JSON.stringify(input)])
  return new Promise((resolve, reject) => {
    const proc = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', chunk => (stdout += chunk.toString()))
    proc.stderr.on('data', chunk => (stderr += chunk.toString()))
    proc.once('error', reject)
    proc.once('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? ''
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code}:\n${stderr.slice(-2000)}${stdout.slice(-2000)}`))
        return
      }
      try {
        resolve(JSON.parse(last))
      }
      catch {
        reject(new Error(`${script} printed no JSON result:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`))
      }
    })
  })
}
