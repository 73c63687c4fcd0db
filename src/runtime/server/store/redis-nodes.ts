import { showOptionValue } from '../session/options'

/** A Redis server address: a cluster node or a sentinel. */
export interface RedisNode {
  host: string
  port: number
}

/** The nodes of a `cluster` or `sentinels` option, or what is wrong with them. */
export interface RedisNodeList {
  /** The nodes; undefined when none are configured. */
  nodes?: RedisNode[]
  /** One entry per malformed node, e.g. `entry 2 "10.0.0.2" has no port`; empty when the list is valid. */
  problems: string[]
}

/**
 * Reads a list of Redis nodes, as the `cluster` and `sentinels` options give it: an array of `{ host, port }` (or of
 * `host:port` strings), or, from the environment, one string `host:port,host:port`. Every node needs a port: the
 * default differs between a server (6379) and a sentinel (26379), so guessing one would connect to the wrong kind.
 * @param value the option; undefined, null, '' and [] mean none is configured
 * @returns the nodes and the problems found
 * @example
 * readRedisNodes('10.0.0.1:7000,10.0.0.2:7000').nodes // [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }]
 */
export function readRedisNodes(value: unknown): RedisNodeList {
  if (value === undefined || value === null || (typeof value === 'string' && !value.trim())) {
    return { problems: [] }
  }
  const entries: unknown[] | undefined = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined
  if (!entries) {
    return { problems: [`${showOptionValue(value)} is neither a list nor a host:port,host:port string`] }
  }
  if (entries.length === 0) {
    return { problems: [] }
  }
  const nodes: RedisNode[] = []
  const problems: string[] = []
  entries.forEach((entry, index) => {
    const node = typeof entry === 'string' ? parseAddress(entry) : fromObject(entry)
    if (typeof node === 'string') problems.push(`entry ${index + 1} ${showOptionValue(entry)} ${node}`)
    else nodes.push(node)
  })
  return problems.length > 0 ? { problems } : { nodes, problems }
}

function parseAddress(entry: string): RedisNode | string {
  const trimmed = entry.trim()
  if (!trimmed) return 'is empty'
  let url: URL
  try {
    url = new URL(trimmed.includes('://') ? trimmed : `redis://${trimmed}`)
  }
  catch {
    return /:\d+$/.test(trimmed) ? 'has no valid port (1 to 65535)' : 'is not host:port'
  }
  if (!url.hostname) return 'has no host'
  if (!url.port) return 'has no port'
  return checkPort({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) })
}

function fromObject(entry: unknown): RedisNode | string {
  const { host, port } = (entry && typeof entry === 'object' ? entry : {}) as { host?: unknown, port?: unknown }
  if (typeof host !== 'string' || !host.trim()) return 'has no host'
  if (port === undefined || port === null || port === '') return 'has no port'
  return checkPort({ host: host.trim(), port: typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port as number })
}

function checkPort(node: RedisNode): RedisNode | string {
  return Number.isInteger(node.port) && node.port >= 1 && node.port <= 65535 ? node : 'has no valid port (1 to 65535)'
}
