import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A fenced code block of the README. */
export interface ReadmeBlock {
  lang: string
  code: string
  /** 1-based line of the opening fence. */
  line: number
  /** The file the block says it goes in (its first line: `// path` or `<!-- path -->`), if any. */
  path?: string
}

const README = fileURLToPath(new URL('../../README.md', import.meta.url))

/**
 * Every fenced code block of the README.
 * @returns the blocks, in order
 */
export function readmeBlocks(): ReadmeBlock[] {
  const lines = readFileSync(README, 'utf8').split('\n')
  const blocks: ReadmeBlock[] = []
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(\w*)\s*$/.exec(lines[index]!)
    if (!open) continue
    const start = index
    const body: string[] = []
    while (++index < lines.length && !/^```\s*$/.test(lines[index]!)) body.push(lines[index]!)
    const code = body.join('\n')
    const path = /^(?:\/\/|<!--)\s*([\w./[\]-]+\.(?:ts|vue|json))\s*(?:-->)?$/.exec(body[0] ?? '')?.[1]
    blocks.push({ lang: open[1]!, code, line: start + 1, path })
  }
  return blocks
}

/**
 * The environment of the README's production start on Redis (the bash block that sets the driver to redis with a
 * URL), with the URL and secret replaced by a test server's.
 * @param values the Redis URL and the secret to use
 * @param values.url the Redis URL
 * @param values.secret the session secret
 * @returns the variables, exactly as many as the README sets
 */
export function readmeProductionEnv(values: { url: string, secret: string }): Record<string, string> {
  const block = readmeBlocks().find(({ lang, code }) => lang === 'bash' && /NUXT_STOREFRONT_STORAGE_SESSION_URL=/.test(code))
  if (!block) throw new Error('README.md has no bash block that sets NUXT_STOREFRONT_STORAGE_SESSION_URL')
  const env: Record<string, string> = {}
  for (const match of block.code.matchAll(/^(NUXT_STOREFRONT_\w+)=(\S+)\s*\\?$/gm)) {
    const [, name, value] = match as unknown as [string, string, string]
    env[name] = name.endsWith('_URL') ? values.url : name.endsWith('_SECRET') ? values.secret : value
  }
  for (const required of ['NUXT_STOREFRONT_STORAGE_SESSION_DRIVER', 'NUXT_STOREFRONT_STORAGE_SESSION_URL', 'NUXT_STOREFRONT_SESSION_SECRET']) {
    if (!env[required]) throw new Error(`the README's production block (line ${block.line}) does not set ${required}`)
  }
  return env
}
