import { timingSafeEqual } from 'node:crypto'

// The consumer app's stand-in for a commerce API's login: one demo account.
const DEMO = { id: 'u1', email: 'ada@example.com', firstName: 'Ada', password: 'correct horse battery staple' }

/**
 * Checks an email and password against the demo account.
 * @param email the email, already trimmed and lower-cased
 * @param password the password
 * @returns the user and its tokens, or null
 */
export async function verifyCredentials(email: string, password: string) {
  const given = Buffer.from(password)
  const expected = Buffer.from(DEMO.password)
  const match = email === DEMO.email && given.length === expected.length && timingSafeEqual(given, expected)
  if (!match) return null
  return {
    user: { id: DEMO.id, email: DEMO.email, firstName: DEMO.firstName },
    tokens: { accessToken: `demo-token-${DEMO.id}` },
  }
}
