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

it('answers the method over HTTP with a 500 problem that says nothing of the cause', async () => {
  const response = await server.fetch('/api/rpc/failUnexpectedly', postJson({}))
  expect(response.status).toBe(500)
  expect(await response.json()).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500 })
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
