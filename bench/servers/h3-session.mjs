// Variant 4: h3's own useSession: the data sealed into the cookie (iron), no store.
import { createApp, createRouter, eventHandler, useSession } from 'h3'
import { MAX_AGE, PAYLOAD, SECRET } from '../lib/payload.mjs'
import { listen } from './listen.mjs'

const config = { name: 'h3', password: SECRET, maxAge: MAX_AGE }

const router = createRouter()
router.post('/setup', eventHandler(async (event) => {
  const session = await useSession(event, config)
  await session.update({ user: PAYLOAD.user, basket: PAYLOAD.basket })
  return { ok: true }
}))
router.get('/', eventHandler(async (event) => {
  const session = await useSession(event, config)
  return { user: session.data.user, basket: session.data.basket }
}))

const app = createApp()
app.use(router)
listen(app)
