import type { StandardSchemaV1 } from '@standard-schema/spec'

type IntegerFields = Record<string, { min: number, max: number }>
type Output<F extends IntegerFields> = { [K in keyof F]: number }

/**
 * A Standard Schema for an object of bounded integers, enough for the built-in methods without a validation library.
 * @param fields field name to inclusive bounds
 * @returns the schema
 */
export function integerObject<F extends IntegerFields>(fields: F): StandardSchemaV1<Output<F>, Output<F>> {
  return {
    '~standard': {
      version: 1,
      vendor: 'storefront',
      validate(value) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          return { issues: [{ message: 'expected an object' }] }
        }
        const issues: StandardSchemaV1.Issue[] = []
        const output: Record<string, number> = {}
        for (const [key, { min, max }] of Object.entries(fields)) {
          const field = (value as Record<string, unknown>)[key]
          if (typeof field !== 'number' || !Number.isInteger(field) || field < min || field > max) {
            issues.push({ message: `expected an integer from ${min} to ${max}`, path: [key] })
          }
          else {
            output[key] = field
          }
        }
        return issues.length > 0 ? { issues } : { value: output as Output<F> }
      },
    },
  }
}

/**
 * A Standard Schema for `{ handle }`: a device handle from the session list, 1 to 64 characters.
 * @returns the schema
 */
export function handleObject(): StandardSchemaV1<{ handle: string }, { handle: string }> {
  return {
    '~standard': {
      version: 1,
      vendor: 'storefront',
      validate(value) {
        const handle = value !== null && typeof value === 'object' ? (value as { handle?: unknown }).handle : undefined
        if (typeof handle !== 'string' || handle.length < 1 || handle.length > 64) {
          return { issues: [{ message: 'expected a string of 1 to 64 characters', path: ['handle'] }] }
        }
        return { value: { handle } }
      },
    },
  }
}

/**
 * A Standard Schema for `{ label, handle? }`: a device label (cleaned and bounded by the session, which answers a
 * longer one with a 400 too) and optionally the handle of another device of the list.
 * @returns the schema
 */
export function labelObject(): StandardSchemaV1<{ label: string, handle?: string }, { label: string, handle?: string }> {
  return {
    '~standard': {
      version: 1,
      vendor: 'storefront',
      validate(value) {
        const { label, handle } = (value !== null && typeof value === 'object' ? value : {}) as { label?: unknown, handle?: unknown }
        if (typeof label !== 'string') {
          return { issues: [{ message: 'expected a string', path: ['label'] }] }
        }
        if (handle !== undefined && (typeof handle !== 'string' || handle.length < 1 || handle.length > 64)) {
          return { issues: [{ message: 'expected a string of 1 to 64 characters', path: ['handle'] }] }
        }
        return { value: handle === undefined ? { label } : { label, handle } }
      },
    },
  }
}
