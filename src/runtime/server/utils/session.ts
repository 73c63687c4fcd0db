import type { H3Event } from 'h3'
import { useEvent } from 'nitropack/runtime'
import type { StorefrontSession } from '../../types/session'
import { useStorefrontRuntime } from './runtime'

/**
 * The shopper's session for this request, loaded at most once per request. Changes are saved when the response is
 * sent (successful responses only). Without an event, it uses Nitro's async context (`experimental.asyncContext`).
 * @param event the request
 * @returns the session
 * @example
 * export default defineEventHandler(async (event) => {
 *   const session = await useStorefrontSession(event)
 *   session.put('lastViewed', getRouterParam(event, 'id'))
 *   return { lastViewed: session.get('lastViewed') }
 * })
 */
export function useStorefrontSession(event?: H3Event): Promise<StorefrontSession> {
  return useStorefrontRuntime().engine.session(event ?? useEvent())
}
