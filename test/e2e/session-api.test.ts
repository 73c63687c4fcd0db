import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postJson, setCookiePair } from '../helpers/cookies'
import { CookieJar } from '../helpers/jar'
import type { FixtureServer } from '../helpers/server'
import { startFixtureServer } from '../helpers/server'

// Parts of the server API on the basic fixture: hooks, async context, login and destroy-all without keeps.
let server: FixtureServer

beforeAll(async () => {
  server = await startFixtureServer('basic')
})

afterAll(async () => {
  await server?.stop()
})

interface HookCounts {
  created: number
  destroyed: number
  rpc: { context: number, before: number, after: number, error: number, methods: string[], errors: number[] }
}
const hookCounts = async () => (await server.fetch('/api/hooks')).json() as Promise<HookCounts>
const counts = async () => {
  const { created, destroyed } = await hookCounts()
  return { created, destroyed }
}

describe('session hooks', () => {
  it('calls storefront:session:created on the first save and storefront:session:destroyed on destroy', async () => {
    const before = await counts()
    const created = await server.fetch('/api/session/put', postJson({ key: 'a', value: 1 }))
    const cookie = setCookiePair(created, '$session-1001')!
    await server.fetch('/api/session/put', postJson({ key: 'b', value: 2 }, { cookie }))
    expect(await counts()).toEqual({ created: before.created + 1, destroyed: before.destroyed })
    await server.fetch('/api/session/destroy', postJson({}, { cookie }))
    expect(await counts()).toEqual({ created: before.created + 1, destroyed: before.destroyed + 1 })
  })
})

describe('RPC hooks', () => {
  it('calls context:created, rpc:before and rpc:after around a call, and rpc:error when the handler throws', async () => {
    const before = (await hookCounts()).rpc
    expect((await server.fetch('/api/rpc/echo', postJson({ payload: { n: 1 } }))).status).toBe(200)
    let now = (await hookCounts()).rpc
    expect(now).toMatchObject({ context: before.context + 1, before: before.before + 1, after: before.after + 1, error: before.error })
    expect(now.methods.at(-1)).toBe('echo')
    // An invalid user id makes context.login throw a 400 inside the handler.
    expect((await server.fetch('/api/rpc/loginAs', postJson({ payload: { userId: 'no spaces allowed' } }))).status).toBe(400)
    now = (await hookCounts()).rpc
    expect(now).toMatchObject({ context: before.context + 2, before: before.before + 2, after: before.after + 1, error: before.error + 1 })
    expect(now.methods.at(-1)).toBe('loginAs')
    expect(now.errors.at(-1)).toBe(400)
  })
})

describe('async context', () => {
  it('gives useStorefrontSession() without an event the request\'s session', async () => {
    const response = await server.fetch('/api/session/implicit', postJson({}))
    expect(response.status).toBe(200)
    const cookie = setCookiePair(response, '$session-1001')!
    const state = await (await server.fetch('/api/session/state', { headers: { cookie } })).json()
    expect(state.data).toEqual({ implicit: true })
  })
})

describe('destroySessionsForUserId without sessionsToKeep', () => {
  it('ends every session of the user, the calling one included, and no other user\'s', async () => {
    const devices = [new CookieJar(), new CookieJar(), new CookieJar()]
    for (const jar of devices) expect((await jar.rpc(server, 'loginAs', { userId: 'u-all' })).status).toBe(200)
    const other = new CookieJar()
    await other.rpc(server, 'loginAs', { userId: 'u-other' })
    const answer = await devices[0]!.rpc(server, 'destroyAllSessions', { userId: 'u-all' })
    expect(answer.body).toEqual({ destroyed: 3 })
    for (const jar of devices) expect((await jar.clone().rpc(server, 'getUser')).body.user).toBeNull()
    expect((await other.rpc(server, 'getUser')).body.user).toEqual({ id: 'u-other' })
    expect((await devices[1]!.rpc(server, 'destroyAllSessions', { userId: '../etc' })).status).toBe(400)
  })
})
