// Checked by `npm run test:types` (vue-tsc): the public session type carries exactly the members the README's session
// API table documents; the engine's internals are on EngineSession, which the module's own layers use. Each
// expect-error directive below must stay an error, or the check fails.
import { describe, expectTypeOf, it } from 'vitest'
import type { StorefrontSession } from '../../src/runtime/types'
import type { EngineSession } from '../../src/runtime/server/session'

/** The members of the README's "The session API" table. */
type Documented = 'id' | 'shopId' | 'isNew' | 'userId' | 'meta' | 'ended' | 'transport' | 'label' | 'setLabel'
  | 'get' | 'has' | 'all' | 'put' | 'forget' | 'flush' | 'flash' | 'getFlash' | 'regenerate' | 'destroy' | 'commit'

describe('StorefrontSession', () => {
  it('has exactly the documented members', () => {
    expectTypeOf<keyof StorefrontSession>().toEqualTypeOf<Documented>()
  })

  it('does not expose the engine\'s internals', () => {
    expectTypeOf<StorefrontSession>().not.toHaveProperty('setField')
    expectTypeOf<StorefrontSession>().not.toHaveProperty('getField')
    expectTypeOf<StorefrontSession>().not.toHaveProperty('persist')
    expectTypeOf<StorefrontSession>().not.toHaveProperty('bindToUser')
    expectTypeOf<StorefrontSession>().not.toHaveProperty('alongNextCommit')
    expectTypeOf<StorefrontSession>().not.toHaveProperty('getUserRecord')
    expectTypeOf<StorefrontSession>().not.toHaveProperty('setUserRecord')
    expectTypeOf<EngineSession>().toHaveProperty('setField')
    expectTypeOf<EngineSession>().toHaveProperty('persist')
    const probe = (session: StorefrontSession) => {
      // @ts-expect-error an internal field write is not on the public session
      session.setField('u', undefined)
      // @ts-expect-error nor is persist
      return session.persist()
    }
    expectTypeOf(probe).toBeFunction()
  })

  it('is what the engine hands out, minus the internals', () => {
    expectTypeOf<EngineSession>().toExtend<StorefrontSession>()
    expectTypeOf<StorefrontSession>().not.toExtend<EngineSession>()
  })
})
