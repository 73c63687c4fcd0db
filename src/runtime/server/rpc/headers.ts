import type { H3Event } from 'h3'
import { nodeRequestHeader } from '../internal/h3'

/**
 * Reads one request header the way h3's `getRequestHeader` answers it (a repeated header joined with ", "), without
 * copying every header of the request into a new object first, which h3 v1 does on each call.
 * @param event the request
 * @param name the header name, in lower case
 * @returns the value, or undefined when the header was not sent
 * @example
 * const origin = requestHeader(event, 'origin')
 */
export function requestHeader(event: H3Event, name: Lowercase<string>): string | undefined {
  const value = nodeRequestHeader(event, name)
  return Array.isArray(value) ? value.filter(Boolean).join(', ') : value
}
