import { afterAll, beforeAll, expect, it } from 'vitest'
import { postJson } from '../helpers/cookies'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// An RPC method that throws an unexpected error while a page renders it in-process (useRpc during SSR): the page
// gets the same problem a browser would get over HTTP, a generic 500, and nothing of the thrown message.
const INTERNAL = 'orders-db.internal:5432'
let server: FixtureServer

beforeAll(async () => {
  server = await startFixtureServer('basic')
})

afterAll(async () => {
  await server?.stop()
})

async function overHttp(method: string) {
  const response = await server.fetch(`/api/rpc/${method}`, postJson({}))
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}

// What a page shows in <pre data-test="…">, as JSON.
function shown(html: string, name: string): unknown {
  const text = new RegExp(`<pre data-test="${name}"[^>]*>([^<]*)</pre>`).exec(html)?.[1]
  expect(text, `${name} shown`).toBeDefined()
  return JSON.parse(text!.replaceAll('&quot;', '"').replaceAll('&#39;', '\'').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&'))
}

it('answers the method over HTTP with a 500 problem that says nothing of the cause', async () => {
  expect(await overHttp('failUnexpectedly')).toEqual({ status: 500, body: { type: 'about:blank', title: 'Internal Server Error', status: 500 } })
})

it('renders a page whose SSR call fails with the same redacted problem, in the HTML and in the payload', async () => {
  const response = await server.fetch('/ssr-rpc-error', { headers: { accept: 'text/html' } })
  const html = await response.text()
  expect(html).toMatch(/data-test="status"[^>]*>\s*500\s*</)
  expect(html).toMatch(/data-test="title"[^>]*>\s*Internal Server Error\s*</)
  expect(html).toMatch(/data-test="message"[^>]*>\s*Internal Server Error\s*</)
  expect(html).not.toContain(INTERNAL)
  expect(html).not.toContain('refused the query')
  // The operator still learns the cause, from the server log.
  await expect.poll(() => server.logs(), { timeout: 5_000 }).toContain(INTERNAL)
})

it('gives an SSR call exactly the problem HTTP answers, for an unexpected error and for a refusal with its detail and data', async () => {
  const html = await (await server.fetch('/ssr-rpc-error', { headers: { accept: 'text/html' } })).text()
  expect(shown(html, 'unexpected')).toEqual((await overHttp('failUnexpectedly')).body)
  const refused = await overHttp('failExpectedly')
  expect(refused).toEqual({ status: 409, body: { type: 'about:blank', title: 'Conflict', status: 409, detail: 'the offer ended', code: 'offer-ended' } })
  expect(shown(html, 'expected')).toEqual(refused.body)
})

it('logs an unexpected error that repeats with its stack once per 10 s window, not once per request', async () => {
  const logged = () => server.logs().split('unexpected error').length - 1
  await expect.poll(logged, { timeout: 5_000 }).toBeGreaterThan(0)
  const before = logged()
  const started = Date.now()
  for (let i = 0; i < 30; i++) expect((await overHttp('failUnexpectedly')).status).toBe(500)
  // One line (with the stack) per window this loop touched, whatever the machine's speed.
  const windows = Math.floor((Date.now() - started) / 10_000) + 1
  expect(logged() - before).toBeLessThanOrEqual(windows)
})
