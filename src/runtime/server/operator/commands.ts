import type { StorefrontSessionInfo } from '../../types/rpc'
import { isValidUserId } from '../session/id'
import type { OperatorTarget, SessionCount } from './operations'
import { countShopSessions, endSessionsOfUser, endShopSessions, listSessionsOfUser, purgeExpiredIndexEntries } from './operations'
import type { WalkOptions } from './walk'

/** The operations, by the name the CLI takes (`nuxt-storefront-session <name>`) and the task takes (`storefront:sessions:<name>`). */
export const OPERATOR_COMMANDS = {
  'count': 'Count the sessions of each shop (walks every key of the shop)',
  'list': 'Show the sessions of one user (--user)',
  'end-user': 'End every session of one user (--user)',
  'end-shop': 'End every session of one shop (--shop, and --yes or a typed confirmation; walks every key of the shop)',
  'purge-indexes': 'Remove expired and missing entries from the users\' session indexes (walks every key of the shop)',
} as const

/** An operation's name. */
export type OperatorCommand = keyof typeof OPERATOR_COMMANDS

/** What an operation is asked to do: which shop (every shop when left out, except for `end-shop`) and which user. */
export interface OperatorRequest {
  shop?: string
  user?: string
  /** Confirms `end-shop`. */
  yes?: boolean
}

/** The result of an operation on one shop. */
export type ShopReport
  = | SessionCount
    | { shopId: string, userId: string, sessions: StorefrontSessionInfo[] }
    | { shopId: string, userId: string, ended: number }
    | { shopId: string, deleted: number, scanned: number, interrupted: boolean }
    | { shopId: string, indexes: number, entriesRemoved: number, scanned: number, interrupted: boolean }

/** The result of an operation: one report per shop, and whether a walk was stopped before its end. */
export interface OperatorReport {
  command: OperatorCommand
  shops: ShopReport[]
  interrupted: boolean
}

/** A request the operation refuses (unknown command or shop, missing user or confirmation). */
export class OperatorUsageError extends Error {
  override name = 'OperatorUsageError'
}

/**
 * Runs one operation, shop after shop; a walk stopped by the signal ends the run after the current batch.
 * @param command the operation
 * @param request shop, user and confirmation
 * @param targets the shops, by id
 * @param walk batch size, pause, signal and progress of full walks
 * @returns the report
 */
export async function runOperatorCommand(command: string, request: OperatorRequest, targets: ReadonlyMap<string, OperatorTarget>, walk: WalkOptions): Promise<OperatorReport> {
  if (!Object.hasOwn(OPERATOR_COMMANDS, command)) {
    throw new OperatorUsageError(`unknown command ${JSON.stringify(command)}: use one of ${Object.keys(OPERATOR_COMMANDS).join(', ')}`)
  }
  const name = command as OperatorCommand
  if (request.shop !== undefined && !targets.has(String(request.shop))) {
    throw new OperatorUsageError(`unknown shop ${JSON.stringify(request.shop)}: the configured shops are ${[...targets.keys()].join(', ')}`)
  }
  if ((name === 'list' || name === 'end-user') && !request.user) {
    throw new OperatorUsageError(`${name} needs a user id (--user <id>)`)
  }
  if (request.user !== undefined && !isValidUserId(request.user)) {
    throw new OperatorUsageError(`invalid user id ${JSON.stringify(request.user)}: 1 to 64 letters, digits, _ or -`)
  }
  if (name === 'end-shop' && request.shop === undefined) {
    throw new OperatorUsageError('end-shop needs the shop whose sessions end (--shop <id>)')
  }
  if (name === 'end-shop' && request.yes !== true) {
    throw new OperatorUsageError(`end-shop ends every session of shop ${request.shop}: confirm with --yes`)
  }
  const chosen = request.shop === undefined ? [...targets.values()] : [targets.get(String(request.shop))!]
  const report: OperatorReport = { command: name, shops: [], interrupted: false }
  for (const target of chosen) {
    if (walk.signal?.aborted) {
      report.interrupted = true
      break
    }
    const shopId = target.shop.id
    const user = String(request.user)
    switch (name) {
      case 'count':
        report.shops.push(await countShopSessions(target, walk))
        break
      case 'list':
        report.shops.push({ shopId, userId: user, sessions: await listSessionsOfUser(target, user) })
        break
      case 'end-user':
        report.shops.push({ shopId, userId: user, ended: await endSessionsOfUser(target, user) })
        break
      case 'end-shop':
        report.shops.push(await endShopSessions(target, walk))
        break
      case 'purge-indexes':
        report.shops.push(await purgeExpiredIndexEntries(target, walk))
        break
    }
    if ('interrupted' in report.shops.at(-1)! && (report.shops.at(-1) as { interrupted: boolean }).interrupted) {
      report.interrupted = true
      break
    }
  }
  return report
}
