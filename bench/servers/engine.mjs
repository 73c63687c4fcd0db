// Variants 2 and 2b: this module's session engine in a bare h3 app, on Redis. The session holds the user and the basket as
// data; each request reads both and answers them as JSON. The save at the end writes nothing for a read.
import { createApp, createRouter, eventHandler } from 'h3'
import { createStorage } from 'unstorage'
import { ENGINE_BUNDLE, TELEMETRY_BUNDLE } from '../lib/paths.mjs'
import { MAX_AGE, PAYLOAD, SECRET } from '../lib/payload.mjs'
import { listen } from './listen.mjs'

// BENCH_ENGINE_BUNDLE points at another build of the engine, to compare a change before and after.
const { createSessionDriver, createSessionEngine, createSessionStore, resolveShops } = await import(process.env.BENCH_ENGINE_BUNDLE || ENGINE_BUNDLE)

const shops = resolveShops({
  shops: { 1001: { path: '/' } },
  session: { secret: SECRET, maxAge: MAX_AGE },
  storage: { session: { driver: 'redis', url: process.env.REDIS_URL } },
}, { production: true })
const shop = shops.byId.get('1001')
const { driver, nativeTtl } = await createSessionDriver(shop.storage, shop.storeTimeoutMs)
// The same store options as the module's Nitro plugin: with the store timeout, ioredis bounds every command itself.
const bare = createSessionStore(createStorage({ driver }), driver, { nativeTtl, sweepIntervalMs: 0, timeoutMs: shop.storeTimeoutMs })
// Variant 2b (BENCH_TELEMETRY=1): the store as the module's Nitro plugin opens it, through the OpenTelemetry wrapper,
// with @opentelemetry/api loaded and no SDK registered. Variant 2 never loads the API.
const store = process.env.BENCH_TELEMETRY === '1'
  ? (await import(TELEMETRY_BUNDLE)).instrumentSessionStore(bare, shop.id)
  : bare
const engine = createSessionEngine({ shops, storeFor: () => store })

const router = createRouter()
router.post('/setup', eventHandler(async (event) => {
  const session = await engine.session(event)
  session.bindToUser(PAYLOAD.user.id)
  session.put('user', PAYLOAD.user)
  session.put('basket', PAYLOAD.basket)
  return { ok: true }
}))
router.get('/', eventHandler(async (event) => {
  const session = await engine.session(event)
  return { user: session.get('user'), basket: session.get('basket') }
}))

const app = createApp({ onBeforeResponse: event => engine.commit(event) })
app.use(router)
listen(app, () => driver.dispose?.())
