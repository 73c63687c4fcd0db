import type { NitroApp } from 'nitropack/types'

// The one place the module reads hookable's internals (`_hooks`, `_before`, `_after`): hookable's `callHook` makes a
// console task and a promise chain even when nothing listens, which an RPC call would pay four times (see the
// bench). A move to Nitro 3 or a new hookable starts here.

type HookName = Parameters<NitroApp['hooks']['callHook']>[0]

/**
 * Tells whether a hook has listeners, so that callers skip the call (and building its payload) when none does.
 * While hookable's debugging taps (`beforeEach`, `afterEach`) are on, or its internals look different from what
 * this expects, the answer is yes, so that hooks are never skipped wrongly.
 * @param hooks the Nitro app's hooks
 * @param name a hook name
 * @returns false only when the hook certainly has no listener
 */
export function hasHookListeners(hooks: NitroApp['hooks'], name: HookName): boolean {
  const internals = hooks as unknown as { _hooks?: Record<string, unknown[] | undefined>, _before?: unknown[], _after?: unknown[] }
  if (typeof internals._hooks !== 'object' || internals._hooks === null || internals._before?.length || internals._after?.length) {
    return true
  }
  return (internals._hooks[name]?.length ?? 0) > 0
}
