import { addTypeTemplate } from '@nuxt/kit'
import type { Nuxt } from '@nuxt/schema'
import { builtinDrivers } from 'unstorage'
import type { ModuleOptions } from '../runtime/types'

// Always bundled: a dependency of unstorage itself, and the usual choice for a bounded in-process store.
const ALWAYS = ['lru-cache']
// Imported by name in the driver factory, so the bundler sees them already.
const BUNDLED_ELSEWHERE = new Set(['memory', 'fs', 'redis'])

/**
 * Bundles the unstorage drivers the session store may be given by name: every built-in driver the options name at
 * build time (top-level and per shop), as Nitro resolves `storage` mounts through unstorage's `builtinDrivers`, plus
 * `lru-cache`. A name given only at start (`NUXT_STOREFRONT_STORAGE_SESSION_DRIVER`) that is not bundled is imported
 * from `node_modules` when the server starts.
 * @param nuxt the Nuxt instance
 * @param options the module options (runtime config as built)
 */
export function setupStorage(nuxt: Nuxt, options: ModuleOptions): void {
  const named = [options.storage?.session?.driver, ...Object.values(options.shops ?? {}).map(shop => shop?.storage?.session?.driver)]
  const paths = new Set<string>()
  for (const name of [...ALWAYS, ...named]) {
    if (typeof name !== 'string' || BUNDLED_ELSEWHERE.has(name) || !Object.hasOwn(builtinDrivers, name)) continue
    paths.add((builtinDrivers as Record<string, string>)[name]!)
  }
  nuxt.hook('nitro:config', (config) => {
    config.virtual ??= {}
    config.virtual['#storefront/session-drivers'] = () => {
      const entries = [...paths].map(path => `  ${JSON.stringify(path)}: () => import(${JSON.stringify(path)}),`)
      return `export const loaders = {\n${entries.join('\n')}\n}\n`
    }
  })
  addTypeTemplate({
    filename: 'types/storefront-session-drivers.d.ts',
    getContents: () => [
      `declare module '#storefront/session-drivers' {`,
      `  export const loaders: Record<string, () => Promise<{ default: (options: Record<string, unknown>) => import('unstorage').Driver }>>`,
      `}`,
    ].join('\n'),
  }, { nitro: true, nuxt: true })
}
