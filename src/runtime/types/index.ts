// The public types, for apps to augment: declare module '#storefront' { interface StorefrontUser { … } }. Only
// re-exports: each type lives in the file of its domain.
export type {
  StorefrontSessionData,
  StorefrontUser,
  StorefrontTokens,
  StorefrontSessionMeta,
} from './user'
export type {
  StorefrontSameSite,
  StorefrontShopSelector,
  StorefrontSessionOptions,
  StorefrontSessionTransport,
  StorefrontCookiePrefix,
  StorefrontStorageOptions,
  StorefrontShopOptions,
  ModuleOptions,
  StorefrontLoginLimitOptions,
  StorefrontRpcOptions,
  StorefrontCommerceOptions,
} from './options'
export type { StorefrontRuntimeHooks } from './hooks'
// Named lists, not `export type *`: mkdist adds `.js` to the specifiers of named lists only, and the built
// declarations need it for `moduleResolution: nodenext`. A type added to commerce.ts or rpc.ts goes in its list here.
export type {
  BasketAdapter,
  BasketLine,
  BasketMergePolicy,
  CommerceAdapterContext,
  CommerceLimits,
  CommerceOwner,
  MergeReport,
  StorefrontCommerceAdapters,
  WishlistAdapter,
  WishlistItem,
} from './commerce'
export type {
  RpcDefinition,
  RpcHandlerOptions,
  RpcParams,
  RpcResult,
  StorefrontBasketApi,
  StorefrontLoginResult,
  StorefrontLogger,
  StorefrontRpcContext,
  StorefrontRpcContextBase,
  StorefrontRpcContextExtensions,
  StorefrontSessionInfo,
  StorefrontSessionList,
  StorefrontSessionListOptions,
  StorefrontWishlistApi,
} from './rpc'
export type { StorefrontSession, StorefrontSessionKey, StorefrontSessionValues } from './session'
