import { SessionLimitError } from './errors'
import { INDEXED_RECORD_LENGTH, indexRecord, storedBytes } from './fields'
import { isFlashField, isLongRecord, lineValue, LIST_FIELDS, META_FIELD as META, recordPairs } from '../store/record'
import type { Changes, SessionState } from './state'

// A session's fields: read from the record as the store returned it until the first write, which copies them into
// its Changes (what is saved, and what is dirty or removed).

/**
 * A field's value: from the changes once written, else from the record (meta and incoming flash excluded).
 * @param session the session's state
 * @param field the field's name
 * @returns its value, or undefined when unset
 */
export function readField(session: SessionState, field: string): string | undefined {
  if (session.changes) {
    return session.changes.fields.get(field)
  }
  let record = session.record
  if (!record || field === META || isFlashField(field)) {
    return undefined
  }
  if (typeof record === 'string') {
    if (!isLongRecord(record)) return lineValue(record, field)
    // Long stored lines are split once and looked up as pairs from then on.
    record = session.record = recordPairs(record)
  }
  if (record.length > INDEXED_RECORD_LENGTH) {
    return (session.recordIndex ??= indexRecord(record)).get(field)
  }
  for (let i = 0; i < record.length; i += 2) {
    if (record[i] === field) return record[i + 1]
  }
  return undefined
}

/**
 * The session's changes, made from its record on first use.
 * @param session the session's state
 * @returns its changes
 */
export function mutable(session: SessionState): Changes {
  if (session.changes) {
    return session.changes
  }
  const fields = new Map<string, string>()
  let size = 0
  const record = session.record && recordPairs(session.record)
  if (record) {
    for (let i = 0; i < record.length; i += 2) {
      const field = record[i]!
      if (field === META || isFlashField(field) || LIST_FIELDS.has(field) || fields.has(field)) continue
      const value = record[i + 1]!
      fields.set(field, value)
      size += storedBytes(field, value)
    }
  }
  session.changes = { fields, size, dirty: new Set(), removed: new Set() }
  return session.changes
}

/**
 * Writes (or with undefined, removes) a field, keeping the stored size within `maxDataSize`.
 * @param session the session's state
 * @param field the field's name
 * @param value its new value
 * @throws a SessionLimitError when the data would grow over the limit
 */
export function writeField(session: SessionState, field: string, value: string | undefined): void {
  const changes = mutable(session)
  const previous = changes.fields.get(field)
  const next = changes.size - (previous === undefined ? 0 : storedBytes(field, previous)) + (value === undefined ? 0 : storedBytes(field, value))
  if (value !== undefined && next > session.shop.maxDataSize) {
    throw new SessionLimitError(`session data would be ${next} bytes, over the limit of ${session.shop.maxDataSize}`)
  }
  changes.size = next
  if (value === undefined) {
    if (changes.fields.delete(field)) {
      changes.dirty.delete(field)
      changes.removed.add(field)
    }
    return
  }
  changes.fields.set(field, value)
  changes.dirty.add(field)
  changes.removed.delete(field)
}
