import { describeValue, SessionInputError } from './errors'

/** Most characters (code points) a session label keeps, once control characters are stripped. */
export const MAX_SESSION_LABEL_LENGTH = 64

// Control characters (C0, C1, DEL) and invisible format characters (bidirectional overrides, zero-width marks) would
// let a label hide or reorder text in a device list: they are stripped.
const UNSHOWN = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu

/**
 * Cleans a session label: control and format characters stripped, whitespace trimmed.
 * @param label what the app or the client sent
 * @returns the label to store; `''` removes it
 * @throws SessionInputError (a 400) for anything but a string, or one longer than {@link MAX_SESSION_LABEL_LENGTH}
 * @example
 * cleanSessionLabel('  Alice\u0007\'s iPhone ') // "Alice's iPhone"
 */
export function cleanSessionLabel(label: unknown): string {
  if (typeof label !== 'string' || label.length > MAX_SESSION_LABEL_LENGTH * 8) {
    throw new SessionInputError(`invalid session label ${describeValue(label)}: use a string of at most ${MAX_SESSION_LABEL_LENGTH} characters`)
  }
  const clean = label.replace(UNSHOWN, '').trim()
  if ([...clean].length > MAX_SESSION_LABEL_LENGTH) {
    throw new SessionInputError(`invalid session label ${describeValue(clean)}: it has more than ${MAX_SESSION_LABEL_LENGTH} characters`)
  }
  return clean
}

/**
 * A meta field with a label set, or removed for `''`.
 * @param meta the stored meta (not changed)
 * @param meta.l the current label
 * @param label a cleaned label
 * @returns a copy
 */
export function withLabel<M extends { l?: string }>(meta: M, label: string): M {
  const { l: _previous, ...rest } = meta
  return (label ? { ...rest, l: label } : rest) as M
}
