import { describeValue, SessionInputError } from './errors'

// How session keys become record fields: `d:<key>` data, `f:<key>` flash, and the small helpers reads and writes
// share.
export const DATA = 'd:'
export const FLASH = 'f:'
export const MAX_KEY_LENGTH = 128

export const isDataField = (field: string) => field.startsWith(DATA)

export function checkKey(key: string): string {
  // A line feed would split the field in two in the Redis store, which keeps a record as lines.
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes('\n')) {
    throw new SessionInputError(`session keys are strings of 1 to ${MAX_KEY_LENGTH} characters without a line feed, got ${describeValue(key)}`)
  }
  return key
}

// Field names of data keys, made once per key: checking and prefixing a key costs a lookup after its first use.
const dataFields = new Map<string, string>()
const DATA_FIELDS_KEPT = 1_000

export function dataField(key: string): string {
  let field = dataFields.get(key)
  if (field === undefined) {
    field = DATA + checkKey(key)
    if (dataFields.size >= DATA_FIELDS_KEPT) dataFields.clear()
    dataFields.set(key, field)
  }
  return field
}

// A record of more than 16 fields (32 names and values) is looked up through a map, built on the first read.
export const INDEXED_RECORD_LENGTH = 32

export function indexRecord(record: readonly string[]): Map<string, string> {
  const index = new Map<string, string>()
  for (let i = 0; i < record.length; i += 2) {
    if (!index.has(record[i]!)) index.set(record[i]!, record[i + 1]!)
  }
  return index
}

/** Bytes a field takes as stored: its name and value in UTF-8, each followed by a line feed. */
export function storedBytes(field: string, value: string): number {
  return Buffer.byteLength(field) + Buffer.byteLength(value) + 2
}

export function serialise(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value)
}
