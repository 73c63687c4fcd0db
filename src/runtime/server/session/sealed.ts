import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import type { ResolvedShop } from './config'

/** The session field that holds a login's tokens, always sealed. */
export const TOKENS_FIELD = 't'

// A sealed value is a JSON string, `"sf1.<key id>.<iv>.<ciphertext>.<tag>"` (base64url), so that it is a JSON text
// like every other stored value. The key id names the secret it was sealed under: any configured secret opens it,
// and a value sealed under another than the signing secret is sealed again at the session's next write.
const VERSION = 'sf1'
const IV_BYTES = 12
const TAG_BYTES = 16

interface SealingKey { id: string, key: Buffer }
interface ShopKeys { signing: SealingKey, byId: Map<string, SealingKey> }

// Derived once per shop and secret list: HKDF is not run per request.
const shopKeys = new WeakMap<ResolvedShop, ShopKeys>()

/**
 * The AES-256-GCM key of one secret of one shop: HKDF-SHA256 over the secret, with the shop in its info, so that a
 * shop's key never opens another shop's values. Its id is a digest of the key, not of the secret.
 * @param secret a session secret
 * @param shopId the shop
 * @returns the key and its id
 */
function deriveKey(secret: string, shopId: string): SealingKey {
  const key = Buffer.from(hkdfSync('sha256', secret, 'nuxt-storefront-session', `tokens:${shopId}`, 32))
  const id = createHash('sha256').update(key).digest('base64url').slice(0, 11)
  return { id, key }
}

function keysOf(shop: ResolvedShop): ShopKeys {
  let keys = shopKeys.get(shop)
  if (!keys) {
    const derived = shop.secrets.map(secret => deriveKey(secret, shop.id))
    keys = { signing: derived.at(-1)!, byId: new Map(derived.map(key => [key.id, key])) }
    shopKeys.set(shop, keys)
  }
  return keys
}

/**
 * Encrypts a value for the store with AES-256-GCM under the shop's signing secret.
 * @param shop the shop
 * @param plain the text to seal (a JSON text)
 * @returns the stored value, a JSON string
 */
export function sealValue(shop: ResolvedShop, plain: string): string {
  const { signing } = keysOf(shop)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', signing.key, iv)
  cipher.setAAD(Buffer.from(`${shop.id}:${TOKENS_FIELD}`))
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return JSON.stringify(`${VERSION}.${signing.id}.${iv.toString('base64url')}.${sealed.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`)
}

/**
 * Decrypts a stored value sealed by {@link sealValue}, under whichever configured secret sealed it. A value stored in
 * clear by an older version is returned as it is (and sealed at the next write).
 * @param shop the shop
 * @param stored the stored value
 * @returns the text, or undefined when no configured secret opens it (or it was tampered with)
 */
export function openValue(shop: ResolvedShop, stored: string): string | undefined {
  if (!isSealed(stored)) return stored
  const [, id, iv, sealed, tag] = (JSON.parse(stored) as string).split('.')
  const key = keysOf(shop).byId.get(id!)
  if (!key || !iv || !sealed || !tag) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(`${shop.id}:${TOKENS_FIELD}`))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8')
  }
  catch {
    return undefined
  }
}

/**
 * The value to store instead when a stored value is in clear or sealed under another secret than the signing one.
 * @param shop the shop
 * @param stored the stored value
 * @returns the value sealed under the signing secret; undefined when it already is, or cannot be opened
 */
export function resealIfStale(shop: ResolvedShop, stored: string): string | undefined {
  if (isSealed(stored) && stored.startsWith(`"${VERSION}.${keysOf(shop).signing.id}.`)) return undefined
  const plain = openValue(shop, stored)
  return plain === undefined ? undefined : sealValue(shop, plain)
}

function isSealed(stored: string): boolean {
  return stored.startsWith(`"${VERSION}.`)
}
