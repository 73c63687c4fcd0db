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

const counts = async () => (await server.fetch('/api/hooks')).json() as Promise<{ created: number, destroyed: number }>

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
