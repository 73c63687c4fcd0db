import { defineTask } from 'nitropack/runtime'
import { runOperatorCommand } from '../operator/commands'
import type { OperatorRequest } from '../operator/commands'
import { useStorefrontRuntime } from '../utils/runtime'

/** Task names are `storefront:sessions:<command>`; the payload takes `shop`, `user`, `yes`, `count` and `pauseMs`. */
const PREFIX = 'storefront:sessions:'

export default defineTask({
  meta: { description: 'Operate on sessions: count, list, end-user, end-shop, purge-indexes (see the README, "Operating sessions")' },
  async run({ name, payload }) {
    const command = name.slice(PREFIX.length)
    const request = payload as OperatorRequest & { count?: number, pauseMs?: number }
    const targets = await useStorefrontRuntime().operatorTargets()
    let lastProgress = 0
    const report = await runOperatorCommand(command, { shop: request.shop === undefined ? undefined : String(request.shop), user: request.user === undefined ? undefined : String(request.user), yes: request.yes === true }, targets, {
      count: Number(request.count ?? 500),
      pauseMs: Number(request.pauseMs ?? 20),
      onProgress(progress) {
        if (Date.now() - lastProgress < 1000) return
        lastProgress = Date.now()
        console.info(`[storefront] ${name}: ${progress.scanned} keys walked (node ${progress.node}, ${progress.nodeIndex}/${progress.nodes})`)
      },
    })
    return { result: report }
  },
})
