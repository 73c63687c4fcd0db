import { readFileSync } from 'node:fs'
import { optionEnvName, showOptionValue } from '../session/options'

/** Options of `storage.session` that the module reads itself and never hands to ioredis. */
export const MODULE_STORAGE_KEYS = ['driver', 'base', 'waitForReplicas'] as const

/** Options of `storage.session` that only mean something to the Redis driver. */
export const REDIS_ONLY_KEYS = ['url', 'cluster', 'clusterOptions', 'sentinels', 'name', 'role', 'username', 'password', 'sentinelUsername', 'sentinelPassword', 'tls', 'waitForReplicas'] as const

/** The parts of `storage.session.tls` that can be set from the environment. */
export const TLS_FILE_KEYS = ['ca', 'cert', 'key'] as const

/**
 * Tells a reply error after which a connection must be made again: `READONLY` means the node this connection leads
 * to was demoted to a replica (a failover moved the primary, a managed endpoint now leads elsewhere). Reconnecting
 * finds the new primary, through the sentinels or the endpoint; the failed command is answered with its error.
 * @param error the reply error
 * @returns true to reconnect
 */
export function reconnectOnReadOnly(error: Error): boolean {
  return error.message.startsWith('READONLY')
}

/**
 * Reads a PEM option: the PEM itself (it starts with `-----BEGIN`; `\n` written as two characters, as an env file
 * may hold it, is read as a line feed) or the path of a file that holds it.
 * @param value the option
 * @param secret true for a private key: its value is never shown, since key material pasted without its PEM header
 *   (a base64 DER key is shorter than many paths) cannot be told from a path
 * @returns the PEM, or a problem to report
 */
export function readPem(value: unknown, secret = false): { pem?: string, problem?: string } {
  if (typeof value !== 'string') return { problem: `${secret ? '(not shown)' : showOptionValue(value)} is invalid: use a PEM or a file path` }
  const text = value.trim()
  if (text.startsWith('-----BEGIN')) return { pem: text.replace(/\\n/g, '\n') }
  // A value that cannot be a path may be key material pasted without its header: it is never shown.
  const shown = !secret && text.length <= 256 && !/[\r\n]/.test(text) ? `file ${JSON.stringify(text)}` : 'the value (neither a PEM nor a readable file; not shown)'
  try {
    const pem = readFileSync(text, 'utf8')
    return pem.includes('-----BEGIN') ? { pem } : { problem: `${shown} holds no PEM` }
  }
  catch (error) {
    return { problem: `${shown} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): use a PEM or a readable file path` }
  }
}

/**
 * Turns `storage.session.tls` into ioredis' `tls` option, or undefined when TLS is off. TLS is on with a `rediss://`
 * URL, with `tls: true`, or when any of `ca`, `cert`, `key`, `servername` is set; `ca`, `cert` and `key` are PEMs or
 * file paths. Certificates are always verified.
 * @param tls the option (runtime config holds empty placeholders)
 * @param url the `url` option
 * @param path the option path, for error messages
 * @returns the ioredis `tls` option and the problems found
 */
export function readTls(tls: unknown, url: unknown, path: readonly string[] = ['storage', 'session', 'tls']): { tls?: Record<string, unknown>, problems: string[] } {
  const problems: string[] = []
  const on = typeof url === 'string' && url.startsWith('rediss://')
  if (tls === true || tls === 'true') return { tls: {}, problems }
  if (tls === undefined || tls === null || tls === '' || tls === false || tls === 'false') return { tls: on ? {} : undefined, problems }
  if (typeof tls !== 'object' || Array.isArray(tls)) {
    return { problems: [`${path.join('.')} ${showOptionValue(tls)} is invalid: use true or { ca, cert, key, servername } (set ${optionEnvName([...path, 'ca'])} and the like)`] }
  }
  const given = Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== '' && value !== undefined && value !== null))
  for (const key of TLS_FILE_KEYS) {
    if (given[key] === undefined || Buffer.isBuffer(given[key]) || Array.isArray(given[key])) continue
    const { pem, problem } = readPem(given[key], key === 'key')
    if (problem) problems.push(`${[...path, key].join('.')} ${problem} (set ${optionEnvName([...path, key])})`)
    else given[key] = pem
  }
  if (given.servername !== undefined && typeof given.servername !== 'string') {
    problems.push(`${[...path, 'servername'].join('.')} ${showOptionValue(given.servername)} is invalid: use a host name (set ${optionEnvName([...path, 'servername'])})`)
  }
  return { tls: on || Object.keys(given).length > 0 ? given : undefined, problems }
}
