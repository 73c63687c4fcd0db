import { H3Error } from 'h3'
import { reportRefusedCommand } from '../store/redis-health'

/** An engine error that carries its HTTP status, so that every layer answers it the same way. */
export class StorefrontHttpError extends H3Error {
  constructor(status: number, statusMessage: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.statusCode = status
    this.statusMessage = statusMessage
  }
}

/** The store failed or did not answer in time. Answered with a 503. */
export class StoreUnavailableError extends StorefrontHttpError {
  override name = 'StoreUnavailableError'
  constructor(operation: string, options?: { cause?: unknown }) {
    super(503, 'Service Unavailable', `session store unavailable during ${operation}`, options)
  }
}

/** A session write that breaks a configured limit (data size). Answered with a 413. */
export class SessionLimitError extends StorefrontHttpError {
  override name = 'SessionLimitError'
  constructor(message: string) {
    super(413, 'Content Too Large', message)
  }
}

/** Input a session cannot take (a malformed key or user id). Answered with a 400. */
export class SessionInputError extends StorefrontHttpError {
  override name = 'SessionInputError'
  constructor(message: string) {
    super(400, 'Bad Request', message)
  }
}

/**
 * Describes an untrusted value for an error message without converting it (an object's own toString may throw).
 * @param value what the client sent
 * @returns a short, safe description
 */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : value === null ? 'null' : typeof value
}

/**
 * Runs a store operation within a time limit; any failure becomes a {@link StoreUnavailableError}.
 * @param operation a name for logs and the error message
 * @param timeoutMs the limit; 0 when the store enforces it itself (errors are still mapped)
 * @param work the operation
 * @returns what the operation returned
 */
export async function withStoreTimeout<T>(operation: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    if (timeoutMs <= 0) {
      return await work()
    }
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
    })
    return await Promise.race([work(), timeout])
  }
  catch (error) {
    throw toStoreError(operation, error)
  }
  finally {
    clearTimeout(timer)
  }
}

/**
 * The error a failed store operation is reported as: HTTP errors pass through, anything else is a 503. A command
 * the Redis ACL refused is logged once, with what to fix.
 * @param operation a name for logs and the error message
 * @param error what the store threw
 * @returns the error to throw
 */
export function toStoreError(operation: string, error: unknown): Error {
  if (!(error instanceof H3Error)) reportRefusedCommand(error)
  return error instanceof H3Error ? error : new StoreUnavailableError(operation, { cause: error })
}
