import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
// The test suite's Chromium launcher (Debian's Chromium, no background connections).
import { launchChromium } from '../../test/helpers/browser.ts'
import { ROOT } from './paths.mjs'
import { freePort, startProcess } from './process.mjs'
import { SECRET } from './payload.mjs'

/** The two builds: the product page with the module's client runtime, and the same page without the module. */
export const CLIENT_JS_APPS = [
  { id: 'with', dir: 'bench/fixtures/client-js/with', label: 'with the module (useUser, useBasket, useWishlist, its plugin and middleware)' },
  { id: 'without', dir: 'bench/fixtures/client-js/without', label: 'without the module (same page over plain refs)' },
]
const PAGE = '/p/1'

/**
 * @typedef {object} ClientJsApp
 * @property {string} id `with` or `without`
 * @property {string} label its name in the table
 * @property {number} files JavaScript files the page loaded
 * @property {number} bytes their size as served
 * @property {number} gzipBytes the sum of each file gzipped on its own (zlib, level 9)
 * @property {{ file: string, bytes: number, gzipBytes: number }[]} scripts every file
 */

async function build(dir) {
  rmSync(`${ROOT}${dir}/.output`, { recursive: true, force: true })
  let output = ''
  const code = await new Promise((resolve, reject) => {
    const child = spawn('npx', ['nuxi', 'build', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } })
    child.stdout.on('data', chunk => (output += chunk))
    child.stderr.on('data', chunk => (output += chunk))
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new Error(`nuxi build ${dir} failed (exit ${code}):\n${output.slice(-3000)}`)
}

/**
 * Every script the page loads in Chromium until the network is idle (the entry, its modulepreloads and every chunk
 * imported while the page starts and hydrates), each gzipped on its own.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url the page
 * @returns {Promise<{ file: string, bytes: number, gzipBytes: number }[]>} the scripts
 */
async function scriptsOf(browser, url) {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    const pending = []
    const errors = []
    page.on('pageerror', error => errors.push(error.message))
    page.on('response', (response) => {
      if (response.request().resourceType() === 'script') {
        pending.push(response.body().then(body => ({ file: new URL(response.url()).pathname, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length })))
      }
    })
    const response = await page.goto(url, { waitUntil: 'networkidle' })
    if (response?.status() !== 200) throw new Error(`${url} answered ${response?.status()}`)
    if (!/Product 1/.test(await page.content())) throw new Error(`${url} did not render the product page`)
    if (errors.length > 0) throw new Error(`${url}: ${errors.join('; ')}`)
    return (await Promise.all(pending)).sort((a, b) => a.file.localeCompare(b.file))
  }
  finally {
    await context.close()
  }
}

/**
 * The client JavaScript the module adds to a product page: builds the product page twice (with the module, and
 * without it over plain state), starts each production server, loads the page in Chromium and sums the scripts it
 * loaded, each gzipped on its own as a server would send it.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ page: string, apps: ClientJsApp[], addedGzipBytes: number, addedBytes: number }>} both builds and the difference
 */
export async function measureClientJs({ log = () => {} } = {}) {
  const browser = await launchChromium()
  const apps = []
  try {
    for (const app of CLIENT_JS_APPS) {
      const started = Date.now()
      await build(app.dir)
      const port = await freePort()
      const server = await startProcess({
        name: `client-js ${app.id}`,
        command: process.execPath,
        args: [`${ROOT}${app.dir}/.output/server/index.mjs`],
        env: { NODE_ENV: 'production', NUXT_STOREFRONT_SESSION_SECRET: SECRET, PORT: String(port), HOST: '127.0.0.1' },
        ready: /Listening on/,
      })
      try {
        const scripts = await scriptsOf(browser, `http://127.0.0.1:${port}${PAGE}`)
        const result = {
          id: app.id,
          label: app.label,
          files: scripts.length,
          bytes: scripts.reduce((sum, s) => sum + s.bytes, 0),
          gzipBytes: scripts.reduce((sum, s) => sum + s.gzipBytes, 0),
          scripts,
        }
        apps.push(result)
        log(`  ${app.id}: built in ${((Date.now() - started) / 1000).toFixed(1)} s; ${result.files} scripts, ${result.bytes.toLocaleString('en')} bytes, ${result.gzipBytes.toLocaleString('en')} gzipped`)
      }
      finally {
        await server.stop()
      }
    }
  }
  finally {
    await browser.close()
  }
  const [withModule, without] = apps
  return { page: PAGE, apps, addedGzipBytes: withModule.gzipBytes - without.gzipBytes, addedBytes: withModule.bytes - without.bytes }
}
