// The playground's user, as its login method stores it in the session.
declare module '#storefront' {
  interface StorefrontUser {
    email: string
    firstName: string
    lastName: string
  }
}

export {}
