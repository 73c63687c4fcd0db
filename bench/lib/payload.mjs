/** The user every variant serves: the playground's demo user Alice. */
export const USER = Object.freeze({ id: 'u1', email: 'alice@example.com', firstName: 'Alice', lastName: 'Martin' })

/** A 5-line basket, in the module's BasketLine shape. */
export const BASKET = Object.freeze([101, 201, 301, 401, 501].map((variantId, i) => Object.freeze({ variantId, quantity: i + 1 })))

/** A one-item wishlist, in the module's WishlistItem shape (the memory-per-shopper measure). */
export const WISHLIST = Object.freeze([Object.freeze({ productId: 4 })])

/** What variants 1 to 4 answer: the session's user and basket. */
export const PAYLOAD = Object.freeze({ user: USER, basket: BASKET })

/** What the playground's getUser RPC answers for Alice (variants 5 and 6). */
export const GET_USER_PAYLOAD = Object.freeze({ user: USER })

/** Alice's login in the playground. */
export const ALICE_LOGIN = Object.freeze({ email: 'alice@example.com', password: 'alice-secret-1' })

/** Signing secret for every variant (40 characters: production refuses fewer than 32). */
export const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'

/** Session lifetime in seconds for every variant, the module's default. */
export const MAX_AGE = 86400
