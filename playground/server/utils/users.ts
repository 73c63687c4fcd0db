import { scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>

/** A demo shopper as the storefront sees it. */
export interface DemoUser {
  id: string
  email: string
  firstName: string
  lastName: string
}

// Passwords are kept as scrypt hashes (`scrypt:<salt>:<hash>`, base64url), never in plain text.
const ACCOUNTS: (DemoUser & { passwordHash: string })[] = [
  {
    id: 'u1',
    email: 'alice@example.com',
    firstName: 'Alice',
    lastName: 'Martin',
    passwordHash: 'scrypt:adVppMpsNC4MD1GFY1WQoA:eIa1PWxmsKkDvX1ezWFyF0lUIa2BiZtqHfrNBVKV_15MvblEmWcyw7a-6qa1mg_DIeWgpbuehL8SEMjsfUZdLw',
  },
  {
    id: 'u2',
    email: 'bob@example.com',
    firstName: 'Bob',
    lastName: 'Schneider',
    passwordHash: 'scrypt:zGr514F_AVsilS2FFnJUNg:5z_ECzA7FtYrVB-WXmUu9Grb2fOTLhnBJCi_bvSmvktySIaM7I1xcKLk5JPsy0fhDe2idFp2jHL-BgvAHbDg3A',
  },
]
// Compared against when the email is unknown, so that a miss costs as much as a wrong password.
const DECOY = 'scrypt:AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

/**
 * Checks an email and password against the demo accounts.
 * @param email the email
 * @param password the password
 * @returns the user (without the hash), or null
 */
export async function verifyDemoCredentials(email: string, password: string): Promise<DemoUser | null> {
  const account = ACCOUNTS.find(a => a.email === email.trim().toLowerCase())
  const [, salt, hash] = (account?.passwordHash ?? DECOY).split(':')
  const expected = Buffer.from(hash!, 'base64url')
  const actual = await scryptAsync(password, Buffer.from(salt!, 'base64url'), expected.length)
  if (!account || !timingSafeEqual(actual, expected)) {
    return null
  }
  const { passwordHash: _, ...user } = account
  return user
}
