// Variant 3: express-session with connect-redis in express 5, as its README sets it up (resave: false,
// saveUninitialized: false; touch left on, as by default).
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { createClient } from 'redis'
import { MAX_AGE, PAYLOAD, SECRET } from '../lib/payload.mjs'
import { listen } from './listen.mjs'

const client = createClient({ url: process.env.REDIS_URL })
await client.connect()

const app = express()
app.disable('x-powered-by')
app.use(session({
  store: new RedisStore({ client, prefix: 'bench:express:' }),
  secret: SECRET,
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', maxAge: MAX_AGE * 1000 },
}))
app.post('/setup', (req, res) => {
  req.session.user = PAYLOAD.user
  req.session.basket = PAYLOAD.basket
  res.json({ ok: true })
})
app.get('/', (req, res) => {
  res.json({ user: req.session.user, basket: req.session.basket })
})

listen(app, () => client.quit())
