#!/usr/bin/env node
import { resolve } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import { OPERATOR_COMMANDS, OperatorUsageError, runOperatorCommand } from '../server/operator/commands'
import type { OperatorReport } from '../server/operator/commands'
import { openOperatorTargets } from '../server/operator/open'
import { loadServerConfig } from './config'

const USAGE = `Usage: nuxt-storefront-session <command> [options]   (run in the app's folder)

Commands:
${Object.entries(OPERATOR_COMMANDS).map(([name, text]) => `  ${name.padEnd(14)} ${text}`).join('\n')}

Options:
  --shop <id>     one shop (default: every shop)
  --user <id>     the user of list and end-user
  --yes           confirm end-shop without a prompt
  --count <n>     keys asked for per SCAN (default 500, at most 10000)
  --pause <ms>    pause between two batches of a walk (default 20)
  --json          print the report as JSON
  --cwd <dir>     the app's folder (default: the current folder)

The configuration is the app's nuxt config and the NUXT_STOREFRONT_* environment, as the production server reads
them. Ctrl-C stops a walk after the current batch (exit code 130).`

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      shop: { type: 'string' },
      user: { type: 'string' },
      yes: { type: 'boolean', default: false },
      count: { type: 'string', default: '500' },
      pause: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
      cwd: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const command = positionals[0]
  if (values.help || !command) {
    console.log(USAGE)
    return command || values.help ? 0 : 2
  }
  const count = Number(values.count)
  const pauseMs = Number(values.pause)
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new OperatorUsageError(`--count must be a whole number from 1 to 10000, not ${values.count}`)
  if (!Number.isFinite(pauseMs) || pauseMs < 0) throw new OperatorUsageError(`--pause must be a number of milliseconds, not ${values.pause}`)
  if (!Object.hasOwn(OPERATOR_COMMANDS, command)) throw new OperatorUsageError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`)

  const yes = command === 'end-shop' && !values.yes && values.shop !== undefined ? await confirm(values.shop) : values.yes
  const config = await loadServerConfig(resolve(values.cwd ?? process.cwd()))
  const { targets, close } = await openOperatorTargets(config)
  const controller = new AbortController()
  const onInterrupt = () => {
    console.error('[storefront] stopping after the current batch (Ctrl-C again to quit at once)')
    controller.abort()
  }
  process.once('SIGINT', onInterrupt)
  let lastProgress = 0
  try {
    const report = await runOperatorCommand(command, { shop: values.shop, user: values.user, yes }, targets, {
      count,
      pauseMs,
      signal: controller.signal,
      onProgress(progress) {
        if (Date.now() - lastProgress < 1000 && !controller.signal.aborted) return
        lastProgress = Date.now()
        console.error(`[storefront] ${command}: ${progress.scanned} keys walked (node ${progress.node}, ${progress.nodeIndex}/${progress.nodes})`)
      },
    })
    console.log(values.json ? JSON.stringify(report, null, 2) : describe(report))
    if (report.interrupted) console.error('[storefront] interrupted: the report covers the keys walked so far')
    return report.interrupted ? 130 : 0
  }
  finally {
    process.off('SIGINT', onInterrupt)
    await close()
  }
}

async function confirm(shopId: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new OperatorUsageError(`end-shop ends every session of shop ${shopId}: confirm with --yes when not run in a terminal`)
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await prompt.question(`End every session of shop ${shopId}? Type the shop id to confirm: `)
    return answer.trim() === shopId
  }
  finally {
    prompt.close()
  }
}

function describe(report: OperatorReport): string {
  return report.shops.map((shop) => {
    if ('guestSessions' in shop) return `shop ${shop.shopId}: ${shop.guestSessions + shop.userSessions} sessions (${shop.guestSessions} guest, ${shop.userSessions} user), ${shop.users} users; ${shop.scanned} keys walked`
    if ('sessions' in shop) return [`shop ${shop.shopId}, user ${shop.userId}: ${shop.sessions.length} sessions`, ...shop.sessions.map(s => `  ${s.handle}  created ${new Date(s.createdAt).toISOString()}  last seen ${new Date(s.lastSeenAt).toISOString()}  ${s.browser ?? ''} ${s.os ?? ''}`.trimEnd())].join('\n')
    if ('ended' in shop) return `shop ${shop.shopId}, user ${shop.userId}: ${shop.ended} sessions ended`
    if ('deleted' in shop) return `shop ${shop.shopId}: ${shop.deleted} keys deleted; ${shop.scanned} keys walked`
    return `shop ${shop.shopId}: ${shop.entriesRemoved} index entries removed from ${shop.indexes} indexes; ${shop.scanned} keys walked`
  }).join('\n')
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const usage = error instanceof OperatorUsageError || (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')
    console.error(`[storefront] ${(error as Error)?.message ?? error}`)
    process.exitCode = usage ? 2 : 1
  },
)
