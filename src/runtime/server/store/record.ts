import type { SessionFields, SessionRecord } from './session/types'

/** The meta field's name; it comes first in a record. */
export const META_FIELD = 'm'
/** A record's meta (the `m` field, see {@link encodeMeta}): created, seen (last refresh), expires, absolute end, user agent, label. */
export interface StoredMeta { c: number, s: number, e: number, a?: number, ua: string, l?: string }

/**
 * The fields a guest's session record holds on Redis beside the session's own: its basket and wishlist (see
 * commerce/redis-scripts.ts). The session never reads, counts or copies them; the commerce store's scripts own them.
 */
export const LIST_FIELDS: ReadonlySet<string> = new Set(['b', 'w'])

const LINES_START = 'm\n'
const FLASH_LINE = '\nf:'

// Stored lines longer than this are split once and looked up as pairs instead of being walked on every read.
const WALKED_RECORD_LENGTH = 4096

/**
 * A record as names and values in turn; the lines a Redis store hands back are split here.
 * @param record a record as a store read it
 * @returns its names and values in turn
 */
export function recordPairs(record: SessionRecord): readonly string[] {
  return typeof record === 'string' ? record.split('\n') : record
}

/**
 * Whether a record should be split into pairs before reading fields from it (long stored lines).
 * @param record a record as a store read it
 * @returns true for stored lines too long to walk on every read
 */
export function isLongRecord(record: SessionRecord): record is string {
  return typeof record === 'string' && record.length > WALKED_RECORD_LENGTH
}

/**
 * Tells whether a record holds a flash field (`f:<key>`). In stored lines a value is a JSON text, which never starts
 * with `f:`, so a line that does is a field name.
 * @param record a record as a store read it
 * @returns true when it holds one
 */
export function hasFlashField(record: SessionRecord): boolean {
  if (typeof record === 'string') return record.includes(FLASH_LINE)
  for (let i = 0; i < record.length; i += 2) {
    if (isFlashField(record[i]!)) return true
  }
  return false
}

/**
 * Tells whether a field name is a flash field (`f:<key>`).
 * @param field a field name
 * @returns true for a flash field
 */
export function isFlashField(field: string): boolean {
  return field.charCodeAt(1) === COLON && field.charCodeAt(0) === LETTER_F
}

const COLON = 58
const LETTER_F = 102

/** Where the meta field's value starts in stored lines. */
export const META_START = LINES_START.length

/**
 * Where the meta field's value ends in stored lines (it starts at {@link META_START}). Read in place, so that a
 * remembered meta can be compared without cutting it out.
 * @param lines stored lines
 * @returns the end, or -1 when the lines do not start with the meta field
 */
export function metaEnd(lines: string): number {
  if (!lines.startsWith(LINES_START)) return -1
  const end = lines.indexOf('\n', META_START)
  return end === -1 ? lines.length : end
}

/**
 * A field's value in stored lines, found by walking the names from the start, so that a value is never taken for a
 * name; nothing is cut out but the value.
 * @param lines stored lines
 * @param field the field name
 * @returns its value, or undefined when the lines do not hold it
 */
export function lineValue(lines: string, field: string): string | undefined {
  const length = lines.length
  let at = 0
  while (at < length) {
    const nameEnd = lines.indexOf('\n', at)
    if (nameEnd === -1) return undefined
    let valueEnd = lines.indexOf('\n', nameEnd + 1)
    if (valueEnd === -1) valueEnd = length
    if (nameEnd - at === field.length && lines.startsWith(field, at)) {
      return lines.slice(nameEnd + 1, valueEnd)
    }
    at = valueEnd + 1
  }
  return undefined
}

/**
 * A meta field as stored: a JSON array with the times as differences, `[c, s - c, e - s, a - c (0: none), ua, l?]`.
 * Half the bytes of the object form (`{"c":…,"s":…,"e":…,"a":…,"ua":…}`: 45 of 85 with the user agent `node`), in
 * every session record; the object form, which records written before hold, is still read.
 * @param meta the meta
 * @returns the field
 */
export function encodeMeta(meta: StoredMeta): string {
  const fields: (number | string)[] = [meta.c, meta.s - meta.c, meta.e - meta.s, meta.a ? meta.a - meta.c : 0, meta.ua]
  if (meta.l) fields.push(meta.l)
  return JSON.stringify(fields)
}

/**
 * Parses a record's meta field (see {@link encodeMeta}); anything malformed is treated as no session. The session
 * remembers the last meta it parsed for each verified cookie, so the meta returned is shared between requests and
 * frozen; change a copy.
 * @param raw the field
 * @returns the meta, or undefined
 */
export function parseMeta(raw: string | undefined): StoredMeta | undefined {
  if (!raw) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  }
  catch {
    return undefined
  }
  if (Array.isArray(parsed)) return metaOfFields(parsed)
  const meta = parsed as StoredMeta | null
  return typeof meta?.e === 'number' && typeof meta.c === 'number' && typeof meta.s === 'number' ? Object.freeze(meta) : undefined
}

function metaOfFields(fields: unknown[]): StoredMeta | undefined {
  const [c, seen, expires, absolute, ua, l] = fields
  if (!isTime(c) || !isTime(seen) || !isTime(expires) || !isTime(absolute) || typeof ua !== 'string' || (l !== undefined && typeof l !== 'string')) return undefined
  const s = c + seen
  const meta: StoredMeta = { c, s, e: s + expires, ua }
  if (absolute !== 0) meta.a = c + absolute
  if (l) meta.l = l
  return Object.freeze(meta)
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value)

/**
 * Reads the expiry moment out of a record's meta field.
 * @param fields a record
 * @returns ms since epoch, or 0 when unknown
 */
export function recordExpiresAt(fields: SessionFields): number {
  return parseMeta(fields[META_FIELD])?.e ?? 0
}
