import type { ModuleOptions, StorefrontShopOptions } from '../../types'

/** Shortest secret accepted in production. */
export const MIN_SECRET_LENGTH = 32

/** What a shop id may look like: it becomes part of cookie names, store keys and env variable names. */
export const SHOP_ID = /^[\w-]{1,32}$/

/** The defaults of every option, in one place. */
export const defaultOptions = {
  shops: { 1001: { path: '/' } },
  shopSelector: 'path_or_default',
  defaultShopId: '',
  session: {
    cookieName: '$session-{shopId}',
    cookiePrefix: '',
    sameSite: 'lax',
    maxAge: 86400,
    refreshInterval: 0,
    absoluteMaxAge: 2592000,
    domain: '',
    secure: null,
    secret: '',
    maxDataSize: 65536,
    guestPortableKeys: [] as string[],
    transports: 'cookie',
  },
  // Not chosen: development runs on the embedded memory store, production refuses to start until a store is chosen.
  storage: { session: { driver: '' } },
  storeTimeout: 2000,
  storeUnavailable: 'error',
  loginLimit: { perAccount: 10, perAddress: 100, window: 900 },
  trustProxy: false,
  maxSessionsPerUser: 100,
  rpc: { dir: 'rpc', bodyLimit: 102400, idempotencyLimit: 500, overrides: [] as string[], allowedOrigins: [] as string[] },
  commerce: { mergePolicy: 'sum', maxQuantityPerLine: 99, maxBasketLines: 100, maxWishlistItems: 200, dataTtl: 2592000 },
} satisfies Required<ModuleOptions>

/**
 * The storage options that `NUXT_STOREFRONT_STORAGE_SESSION_*` variables can set: Nitro applies a variable only to a
 * key that exists in runtime config when the app is built, so the module declares each one, empty. Empty values are
 * dropped when the driver is created.
 */
export const STORAGE_ENV_PLACEHOLDERS = {
  url: '',
  base: '',
  cluster: '',
  sentinels: '',
  name: '',
  role: '',
  username: '',
  password: '',
  sentinelPassword: '',
  tls: { ca: '', cert: '', key: '', servername: '' },
  waitForReplicas: 0,
}

/** The ways a session can travel (`session.transports`). */
export const TRANSPORTS = ['cookie', 'bearer'] as const

/**
 * Reads the `transports` option: a list, or a comma-separated text (or JSON array) from the environment.
 * @param value the option
 * @returns the entries, trimmed and lower-cased; unknown entries are kept for the validator to name
 */
export function parseTransports(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(entry => String(entry).trim().toLowerCase()).filter(Boolean)
  if (typeof value !== 'string') return value === undefined || value === null ? [] : [String(value)]
  const text = value.trim()
  if (text.startsWith('[')) {
    try {
      return parseTransports(JSON.parse(text))
    }
    catch {
      return [text]
    }
  }
  return text.split(',').map(entry => entry.trim().toLowerCase()).filter(Boolean)
}

/** The cookie name prefixes the browser enforces, and none. */
export const COOKIE_PREFIXES = ['', '__Host-', '__Secure-']

/**
 * The per-shop options that can be overridden from the environment (`NUXT_STOREFRONT_SHOPS_<ID>_SESSION_…` and
 * `…_STORAGE_SESSION_…`): the module declares them for every shop configured at build time, because Nitro applies an
 * env variable only to a runtime config key that exists. A declared key is empty (`''`) until something sets it.
 */
export const SHOP_ENV_KEYS = {
  session: ['cookieName', 'cookiePrefix', 'sameSite', 'maxAge', 'refreshInterval', 'absoluteMaxAge', 'domain', 'secure', 'secret', 'maxDataSize', 'guestPortableKeys', 'transports'],
  storage: ['driver', 'url', 'base', 'cluster', 'sentinels', 'name'],
} as const

/**
 * A shop's options without the empty placeholders of {@link SHOP_ENV_KEYS} (null or `''`): an unset per-shop key
 * inherits the top-level one, and a shop whose storage keys are all unset uses the shared store.
 * @param shop a shop's options as runtime config holds them
 * @returns the options that are set
 */
export function shopOptionsSet(shop: StorefrontShopOptions | undefined | null): StorefrontShopOptions | undefined | null {
  if (!shop || typeof shop !== 'object') return shop
  const out: StorefrontShopOptions = { ...shop }
  if (isPlainObject(shop.session)) out.session = withoutUnset(shop.session)
  if (isPlainObject(shop.storage)) {
    const storage = { ...shop.storage }
    if (isPlainObject(storage.session)) {
      const session = withoutUnset(storage.session)
      if (Object.keys(session).length > 0) storage.session = session
      else delete storage.session
    }
    if (Object.keys(storage).length > 0) out.storage = storage
    else delete out.storage
  }
  return out
}

/**
 * The option path of the `storage.session` section that chose a shop's driver: the shop's own, or the top-level one.
 * @param options the runtime config
 * @param shopId the shop
 * @returns e.g. `['shops', '1002', 'storage', 'session']`, or `['storage', 'session']`
 */
export function storageOptionPath(options: ModuleOptions, shopId: string): string[] {
  return shopOptionsSet(options.shops?.[shopId])?.storage?.session?.driver ? ['shops', shopId, 'storage', 'session'] : ['storage', 'session']
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function withoutUnset<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== null && entry !== undefined && entry !== '')) as T
}

/**
 * The cookie prefix in effect: the `cookiePrefix` option, or the prefix the cookie name starts with.
 * @param cookiePrefix the option
 * @param cookieName the name option
 * @returns `'__Host-'`, `'__Secure-'` or `''`
 */
export function effectiveCookiePrefix(cookiePrefix: unknown, cookieName: unknown): string {
  if (cookiePrefix === '__Host-' || cookiePrefix === '__Secure-') return cookiePrefix
  const name = String(cookieName ?? '')
  return name.startsWith('__Host-') ? '__Host-' : name.startsWith('__Secure-') ? '__Secure-' : ''
}

/** Raised for a configuration that cannot run; the message says what to set, one line per problem. */
export class StorefrontConfigError extends Error {
  override name = 'StorefrontConfigError'
}

/**
 * Turns the `secret` option (string, array, or a JSON array in a string from the environment) into a list.
 * @param value the option
 * @returns the secrets, signing one last
 */
export function parseSecrets(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.map(String).filter(Boolean)
  }
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      return parseSecrets(JSON.parse(value))
    }
    catch {
      return [value]
    }
  }
  return value === undefined || value === null || value === '' ? [] : [String(value)]
}

/**
 * The environment variable that overrides an option at start, named the way Nitro looks it up: `NUXT_` and the
 * runtime config path `storefront.<path>` in upper snake case.
 * @param path the option path below `storefront`, e.g. `['shops', '1002', 'session', 'maxAge']`
 * @returns the variable, e.g. `NUXT_STOREFRONT_SHOPS_1002_SESSION_MAX_AGE`
 * @example
 * optionEnvName(['storage', 'session', 'driver']) // 'NUXT_STOREFRONT_STORAGE_SESSION_DRIVER'
 */
export function optionEnvName(path: readonly string[]): string {
  return `NUXT_${splitByCase(['storefront', ...path].join('_')).join('_').toUpperCase()}`
}

/**
 * Shows an option's value in an error message: JSON, cut to 60 characters, with the credentials of a URL hidden.
 * @param value the value
 * @returns the text
 */
export function showOptionValue(value: unknown): string {
  const text = (JSON.stringify(value) ?? String(value)).replace(/\/\/[^@/\s"]*@/g, '//***@')
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

const SEPARATORS = new Set(['-', '_', '/', '.'])

// scule's splitByCase, which Nitro's snakeCase is built on, so that the names match what Nitro reads: words end at
// - _ / . and where a lower-case letter meets an upper-case one (maxAge → max Age) or an upper-case run meets a word
// (ABTest → AB Test). Digits are neither upper nor lower case.
function splitByCase(text: string): string[] {
  const parts: string[] = []
  let buffer = ''
  let previousUpper: boolean | undefined
  let first = true
  for (const char of text) {
    if (SEPARATORS.has(char)) {
      parts.push(buffer)
      buffer = ''
      previousUpper = undefined
      continue
    }
    const upper = /\d/.test(char) ? undefined : char !== char.toLowerCase()
    if (!first && previousUpper === false && upper === true) {
      parts.push(buffer)
      buffer = char
    }
    else if (!first && previousUpper === true && upper === false && buffer.length > 1) {
      parts.push(buffer.slice(0, -1))
      buffer = buffer.slice(-1) + char
    }
    else {
      buffer += char
      first = false
    }
    previousUpper = upper
  }
  parts.push(buffer)
  return parts
}
