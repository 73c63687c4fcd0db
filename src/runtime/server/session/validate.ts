import type { ModuleOptions, StorefrontShopOptions } from '../../types'
import { COOKIE_PREFIXES, defaultOptions, effectiveCookiePrefix, MIN_SECRET_LENGTH, optionEnvName, parseSecrets, parseTransports, SHOP_ID, shopOptionsSet, showOptionValue, StorefrontConfigError, TRANSPORTS } from './options'
import { checkBoolean, checkChoice, checkNumbers, MAX_TIMER_MS, section } from './validate-rules'
import type { Report, Rules, Section } from './validate-rules'
import { checkStorage } from './validate-storage'

const SESSION_NUMBERS: Rules = {
  maxAge: { min: 1, unit: 'seconds' },
  refreshInterval: { min: 0, unit: 'seconds', zero: 'a quarter of maxAge' },
  absoluteMaxAge: { min: 0, unit: 'seconds', zero: 'no limit' },
  maxDataSize: { min: 1, unit: 'bytes' },
}
const TOP_NUMBERS: Rules = { storeTimeout: { min: 1, max: MAX_TIMER_MS, unit: 'milliseconds' }, maxSessionsPerUser: { min: 0, zero: 'no limit' } }
const RPC_NUMBERS: Rules = { bodyLimit: { min: 1, unit: 'bytes' }, idempotencyLimit: { min: 1 } }
const LOGIN_LIMIT_NUMBERS: Rules = { perAccount: { min: 0, zero: 'no limit' }, perAddress: { min: 0, zero: 'no limit' }, window: { min: 1, unit: 'seconds' } }
const COMMERCE_NUMBERS: Rules = { maxQuantityPerLine: { min: 1 }, maxBasketLines: { min: 1 }, maxWishlistItems: { min: 1 }, dataTtl: { min: 1, unit: 'seconds' } }

const SAME_SITE = ['lax', 'strict', 'none']
const SELECTORS = ['domain', 'path', 'path_or_default']
const MERGE_POLICIES = ['sum', 'max', 'keep-user']
// RFC 6265: a cookie name is an RFC 7230 token. A shop id (A-Z a-z 0-9 _ -) stands in for {shopId}.
const COOKIE_NAME = /^[\w!#$%&'*+.^`|~-]+$/
// A host name, with the leading dot some apps still write (browsers ignore it): no scheme, port, path or spaces.
const COOKIE_DOMAIN = /^\.?[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*$/i
/**
 * Checks every option, as runtime config holds it once `NUXT_STOREFRONT_*` variables were applied. Each problem is
 * one line that names the option path and the environment variable that sets it.
 * @param options the runtime config (`useRuntimeConfig().storefront`) or module options
 * @param env where the server runs
 * @param env.production also requires a session secret of at least {@link MIN_SECRET_LENGTH} characters
 * @returns the problems, empty when every option is valid
 */
export function validateOptions(options: ModuleOptions, env: { production: boolean }): string[] {
  const problems: string[] = []
  const report: Report = (path, text) => {
    problems.push(`[storefront] ${path.join('.')} ${text} (set ${optionEnvName(path)})`)
  }
  // As in resolveShops: shops of your own replace the default shop.
  // Per-shop keys declared for env overrides and left unset are empty: they inherit, as in resolveShops.
  const declared = (options.shops && Object.keys(options.shops).length > 0 ? options.shops : defaultOptions.shops) as Record<string, StorefrontShopOptions>
  const shops = Object.fromEntries(Object.entries(declared).map(([id, shop]) => [id, shopOptionsSet(shop)])) as Record<string, StorefrontShopOptions>
  checkChoice(report, ['shopSelector'], options.shopSelector, SELECTORS)
  checkChoice(report, ['storeUnavailable'], options.storeUnavailable, ['error', 'anonymous'])
  if (options.defaultShopId && !Object.hasOwn(shops, String(options.defaultShopId))) {
    report(['defaultShopId'], `${showOptionValue(options.defaultShopId)} is not a configured shop: use one of ${Object.keys(shops).join(', ')}`)
  }
  checkBoolean(report, ['trustProxy'], options.trustProxy)
  checkNumbers(report, [], options as Section, TOP_NUMBERS)
  checkSession(report, ['session'], options.session)
  const storage = section(report, ['storage'], options.storage)
  checkStorage(report, ['storage', 'session'], storage?.session, storage?.session)
  checkNumbers(report, ['loginLimit'], section(report, ['loginLimit'], options.loginLimit), LOGIN_LIMIT_NUMBERS)
  const rpc = section(report, ['rpc'], options.rpc)
  checkNumbers(report, ['rpc'], rpc, RPC_NUMBERS)
  checkOrigins(report, ['rpc', 'allowedOrigins'], rpc?.allowedOrigins)
  const commerce = section(report, ['commerce'], options.commerce)
  checkChoice(report, ['commerce', 'mergePolicy'], commerce?.mergePolicy, MERGE_POLICIES)
  checkNumbers(report, ['commerce'], commerce, COMMERCE_NUMBERS)
  for (const [id, value] of Object.entries(shops)) {
    if (!SHOP_ID.test(id)) {
      problems.push(`[storefront] shop id ${JSON.stringify(id)} is invalid: use 1 to 32 characters from A-Z a-z 0-9 _ -`)
      continue
    }
    const shop = section(report, ['shops', id], value)
    checkSession(report, ['shops', id, 'session'], shop?.session)
    checkCookiePrefix(report, id, options.session as Section | undefined, shop?.session as Section | undefined)
    const shopStorage = section(report, ['shops', id, 'storage'], shop?.storage)
    checkStorage(report, ['shops', id, 'storage', 'session'], shopStorage?.session, storage?.session)
  }
  // A secret that is set is checked everywhere (a malformed list is no secret in development either); a missing or
  // short one only where it protects shoppers.
  checkSecrets(report, options.session?.secret, shops, env.production)
  if (env.production) {
    checkStoreChosen(report, storage?.session as Section | undefined, shops)
  }
  return problems
}

/**
 * Checks every option (see {@link validateOptions}) and throws one error that lists every problem, so that the
 * server refuses to start instead of failing request after request.
 * @param options the runtime config or module options
 * @param env where the server runs
 * @param env.production also requires a long enough session secret
 * @throws StorefrontConfigError with one line per problem
 */
export function assertValidOptions(options: ModuleOptions, env: { production: boolean }): void {
  const problems = validateOptions(options, env)
  if (problems.length > 0) {
    throw new StorefrontConfigError(problems.join('\n'))
  }
}

function checkSession(report: Report, path: string[], value: unknown) {
  const session = section(report, path, value)
  if (!session) return
  checkChoice(report, [...path, 'sameSite'], typeof session.sameSite === 'string' ? session.sameSite.toLowerCase() : session.sameSite, SAME_SITE, session.sameSite)
  checkNumbers(report, path, session, SESSION_NUMBERS)
  // Unset (null, or '' once it has been through runtime config) means: on in production.
  if (session.secure !== null && session.secure !== '') checkBoolean(report, [...path, 'secure'], session.secure)
  checkChoice(report, [...path, 'cookiePrefix'], session.cookiePrefix, COOKIE_PREFIXES)
  checkCookieName(report, [...path, 'cookieName'], session.cookieName)
  checkCookieDomain(report, [...path, 'domain'], session.domain)
  const portable = session.guestPortableKeys
  if (portable !== undefined && (!Array.isArray(portable) || portable.some(key => typeof key !== 'string' || key.length === 0 || key.length > 128 || key.includes('\n')))) {
    report([...path, 'guestPortableKeys'], `${showOptionValue(portable)} is invalid: use a JSON array of session keys, e.g. ["recentlyViewed"], or ["*"] for every key`)
  }
  checkTransports(report, [...path, 'transports'], session.transports)
}

// The name and Domain go into Set-Cookie as they are: a space, ';' or '=' there would break the header or add
// attributes of its own, and a scheme or port in the Domain makes browsers drop the cookie.
function checkCookieName(report: Report, path: string[], value: unknown) {
  if (value === undefined) return
  if (typeof value !== 'string' || !COOKIE_NAME.test(value.replaceAll('{shopId}', 'x'))) {
    report(path, `${showOptionValue(value)} is invalid: use a cookie name of letters, digits and ! # $ % & ' * + - . ^ _ \` | ~ (no spaces, ';', '=' or quotes), e.g. '$session-{shopId}'`)
  }
}

function checkCookieDomain(report: Report, path: string[], value: unknown) {
  if (value === undefined || value === null || value === '') return
  if (typeof value !== 'string' || value.length > 254 || !COOKIE_DOMAIN.test(value)) {
    report(path, `${showOptionValue(value)} is invalid: use a host name such as shop.example or .shop.example (no scheme, port, path or spaces), or leave it empty for the current host`)
  }
}

function checkTransports(report: Report, path: string[], value: unknown) {
  if (value === undefined || value === null || value === '') return
  const entries = parseTransports(value)
  if (entries.length === 0 || entries.some(entry => !(TRANSPORTS as readonly string[]).includes(entry))) {
    report(path, `${showOptionValue(value)} is invalid: use 'cookie', 'bearer' or both, e.g. cookie,bearer`)
  }
}

// A prefixed cookie that browsers would drop is refused at start: __Host- with a Domain, or either prefix without
// Secure. The shop's settings are merged over the top-level ones, as in resolveShops; the problem is reported on the
// option that was set.
function checkCookiePrefix(report: Report, id: string, topLevel: Section | undefined, own: Section | undefined) {
  const pick = (key: string): { path: string[], value: unknown } => own?.[key] !== undefined
    ? { path: ['shops', id, 'session', key], value: own[key] }
    : { path: ['session', key], value: topLevel?.[key] }
  const prefix = effectiveCookiePrefix(pick('cookiePrefix').value, pick('cookieName').value)
  if (!prefix) return
  const domain = pick('domain')
  if (prefix === '__Host-' && domain.value) {
    report(domain.path, `${showOptionValue(domain.value)} cannot be combined with the __Host- cookie prefix of shop ${id}: browsers drop a __Host- cookie that has a Domain; leave domain empty, or use cookiePrefix '__Secure-'`)
  }
  const secure = pick('secure')
  if (secure.value === false) {
    report(secure.path, `false cannot be combined with the ${prefix} cookie prefix of shop ${id}: browsers drop a ${prefix} cookie that is not Secure`)
  }
}

// Read as the RPC route reads it: a list (a JSON array from the environment) or a single origin; empty entries are
// dropped. An entry must equal its URL's origin, since it is compared with the Origin header as it is.
function checkOrigins(report: Report, path: string[], value: unknown) {
  const wrong = [value ?? []].flat().filter(Boolean).filter(entry => !isOrigin(entry))
  if (wrong.length > 0) {
    report(path, `${wrong.map(showOptionValue).join(', ')} ${wrong.length > 1 ? 'are not origins' : 'is not an origin'}: use a JSON array of origins (scheme, lower-case host, port; no path), e.g. ["https://shop.example"]`)
  }
}

function isOrigin(entry: unknown): boolean {
  if (typeof entry !== 'string') return false
  try {
    const url = new URL(entry)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === entry
  }
  catch {
    return false
  }
}

// Mirrors resolveShops: a shop's own secret replaces the top-level one, which every other shop uses.
function checkSecrets(report: Report, topLevel: unknown, shops: Record<string, StorefrontShopOptions>, production: boolean) {
  const usingTopLevel: string[] = []
  for (const [id, shop] of Object.entries(shops)) {
    const own = shop?.session?.secret
    if (own) checkSecret(report, ['shops', id, 'session', 'secret'], own, production)
    else usingTopLevel.push(id)
  }
  if (usingTopLevel.length > 0) {
    const users = usingTopLevel.length < Object.keys(shops).length ? ` (used by shop ${usingTopLevel.join(', ')})` : ''
    checkSecret(report, ['session', 'secret'], topLevel, production, users)
  }
}

// The value is never shown: it is a secret.
function checkSecret(report: Report, path: string[], value: unknown, production: boolean, users = '') {
  const malformed = malformedSecret(value)
  if (malformed) {
    report(path, `${malformed}${users}`)
    return
  }
  if (!production) return
  const secrets = parseSecrets(value)
  if (secrets.length === 0) {
    report(path, `is missing${users}: use a random string of at least ${MIN_SECRET_LENGTH} characters`)
  }
  else if (secrets.some(secret => secret.length < MIN_SECRET_LENGTH)) {
    report(path, `is shorter than ${MIN_SECRET_LENGTH} characters${users}: use a longer random string`)
  }
}

// A list meant as JSON that is not (a missing quote, a trailing comma) would otherwise sign with its own text, and a
// blank secret signs with nothing anyone could not guess.
function malformedSecret(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      const list: unknown = JSON.parse(value)
      return Array.isArray(list) ? malformedSecret(list) : 'is not a JSON list of strings: write ["older-secret","signing-secret"]'
    }
    catch {
      return 'starts with [ but is not valid JSON: write a list as ["older-secret","signing-secret"] (double quotes, no trailing comma), or a single secret without a leading ['
    }
  }
  if (Array.isArray(value)) {
    if (value.some(entry => typeof entry !== 'string')) return 'lists something other than a string: every secret is a string'
    if (value.some(entry => entry.trim() === '')) return 'lists an empty or blank secret: use random strings'
    return undefined
  }
  if (typeof value === 'string' && value !== '' && value.trim() === '') return 'is blank: use a random string'
  // The environment's value is parsed: digits become a number (rounded past 15 of them), `true` a boolean, `{…}` an
  // object, none of which is the text that was set.
  if (value !== undefined && value !== null && typeof value !== 'string') return `is a ${typeof value}, not a string: use a random string with letters, or a JSON list of strings`
  return undefined
}

// Production never falls back to the embedded memory store: it holds one instance's sessions, lost on restart, and a
// flood of anonymous requests fills it. The store must be chosen, `memory` included, like the secret.
function checkStoreChosen(report: Report, topLevel: Section | undefined, shops: Record<string, StorefrontShopOptions>) {
  const chosen = (storage: unknown) => {
    const driver = (storage as Section | undefined)?.driver
    return driver !== undefined && driver !== null && driver !== ''
  }
  if (chosen(topLevel)) return
  const unchosen = Object.entries(shops).filter(([, shop]) => !chosen(shop?.storage?.session))
  if (unchosen.length === 0) return
  report(['storage', 'session', 'driver'], `is not set${Object.keys(shops).length > 1 ? ` (shops ${unchosen.map(([id]) => id).join(', ')})` : ''}: a production server needs a store; use 'redis' (with NUXT_STOREFRONT_STORAGE_SESSION_URL), or 'memory' to accept one instance whose sessions are lost on restart`)
}
