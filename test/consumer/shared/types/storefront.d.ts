// shared/types/storefront.d.ts
declare module '#storefront' {
  interface StorefrontSessionData {
    recentlyViewed: number[]
  }
  interface StorefrontUser {
    email: string
    firstName: string
  }
  interface StorefrontTokens {
    accessToken: string
  }
}

export {}
