// The peer of the memory-per-shopper measure: express-session with connect-redis (as variant 3), holding what the
// module holds for a shopper. POST /guest: a 5-line basket and one wishlist item; POST /user: the same plus the
// user and the backend's tokens, as an express app would keep them (in clear, in the session).
import { randomUUID } from 'node:crypto'
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { createClient } from 'redis'
import { BASKET, MAX_AGE, SECRET, USER, WISHLIST } from '../lib/payload.mjs'
import { listen } from './listen.mjs'

const client = createClient({ url: process.env.REDIS_URL })
await client.connect()

const app = express()
app.disable('x-powered-by')
app.use(session({
  store: new RedisStore({ client, prefix: process.env.BENCH_EXPRESS_PREFIX ?? 'sess:' }),
  secret: SECRET,
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', maxAge: MAX_AGE * 1000 },
}))
app.post('/guest', (req, res) => {
  req.session.basket = BASKET
  req.session.wishlist = WISHLIST
  res.json({ ok: true })
})
app.post('/user', (req, res) => {
  req.session.basket = BASKET
  req.session.wishlist = WISHLIST
  req.session.user = USER
  req.session.tokens = { accessToken: `demo-${randomUUID()}` }
  res.json({ ok: true })
})

listen(app, () => client.quit())
