// Variant 1, the floor: a bare h3 v1 app doing one raw ioredis GET per request, keyed by an unsigned cookie. The
// stored JSON is sent as it is: no signing, no hashing, no parsing.
import { randomUUID } from 'node:crypto'
import { createApp, createError, createRouter, eventHandler, getCookie, setCookie, setResponseHeader } from 'h3'
import { Redis } from 'ioredis'
import { MAX_AGE, PAYLOAD } from '../lib/payload.mjs'
import { listen } from './listen.mjs'

// The same client settings as the module's Redis driver, so that both get auto-pipelining.
const redis = new Redis(process.env.REDIS_URL, { enableAutoPipelining: true })
const key = id => `bench:floor:${id}`

const router = createRouter()
router.post('/setup', eventHandler(async (event) => {
  const id = randomUUID()
  await redis.set(key(id), JSON.stringify(PAYLOAD), 'EX', MAX_AGE)
  setCookie(event, 'sid', id, { httpOnly: true, sameSite: 'lax', path: '/', maxAge: MAX_AGE })
  return { ok: true }
}))
router.get('/', eventHandler(async (event) => {
  const value = await redis.get(key(getCookie(event, 'sid') ?? ''))
  if (value === null) {
    throw createError({ status: 404, message: 'no session' })
  }
  setResponseHeader(event, 'content-type', 'application/json')
  return value
}))

const app = createApp()
app.use(router)
listen(app, () => redis.quit())
