import { existsSync, readdirSync } from 'node:fs'
import { basename, extname, join, relative } from 'node:path'
import { addServerHandler, addServerPlugin, addTypeTemplate, useLogger } from '@nuxt/kit'
import type { Resolver } from '@nuxt/kit'
import type { Nuxt } from '@nuxt/schema'
import type { StorefrontRpcOptions } from '../runtime/types'

/** The methods the module provides; an app replaces one only when it lists it in `rpc.overrides`. */
export const BUILT_IN_METHODS = [
  'getUser', 'logout', 'getBasket', 'addItemToBasket', 'updateItemInBasket', 'removeItemFromBasket',
  'getWishlist', 'addItemToWishlist', 'removeItemFromWishlist', 'listSessions', 'logoutOtherDevices', 'revokeSession',
  'labelSession',
] as const

const METHOD_FILE = /^[A-Z]\w{0,63}\.(?:ts|js|mjs)$/i

/**
 * Registers the RPC layer: a route per method under `/api/rpc/` and a catch-all for unknown names, a registry of every method (built-in and `server/<rpc.dir>/*`),
 * the in-process caller used during SSR, and the method types `useRpc` reads.
 * @param nuxt the Nuxt instance
 * @param runtimeDir resolves paths inside the package's runtime folder
 * @param options the `rpc` options
 */
export function setupRpc(nuxt: Nuxt, runtimeDir: Resolver, options: StorefrontRpcOptions): void {
  const logger = useLogger('storefront')
  const builtInDir = runtimeDir.resolve('./server/rpc/methods')
  const overrides = new Set(options.overrides ?? [])

  const collect = () => {
    const methods = new Map<string, string>(BUILT_IN_METHODS.map(name => [name, join(builtInDir, name)]))
    for (const layer of nuxt.options._layers) {
      const dir = join(layer.config.serverDir ?? join(layer.config.rootDir, 'server'), options.dir ?? 'rpc')
      if (!existsSync(dir)) continue
      for (const file of readdirSync(dir).filter(f => METHOD_FILE.test(f))) {
        const name = basename(file, extname(file))
        const path = join(dir, name)
        if ((BUILT_IN_METHODS as readonly string[]).includes(name) && !overrides.has(name)) {
          logger.warn(`${relative(nuxt.options.rootDir, join(dir, file))} replaces the built-in RPC method ${name} only when storefront.rpc.overrides lists '${name}'; the built-in one is used.`)
          continue
        }
        // The first layer is the app itself; it wins over layers it extends.
        if (!methods.has(name) || methods.get(name)!.startsWith(builtInDir)) methods.set(name, path)
      }
    }
    return methods
  }
  let methods = collect()

  nuxt.hook('nitro:config', (config) => {
    config.virtual ??= {}
    config.virtual['#storefront/rpc-registry'] = () => {
      methods = collect()
      const entries = [...methods].map(([name, path]) => `  ${JSON.stringify(name)}: () => import(${JSON.stringify(path)}),`)
      return `export const methods = {\n${entries.join('\n')}\n}\n`
    }
  })
  // One static route per method, looked up in the router's map of static paths; the catch-all answers unknown names
  // (a 404 problem+json). A wildcard match costs a split, a join and a params object on every call.
  const route = runtimeDir.resolve('./server/rpc/route')
  for (const name of methods.keys()) addServerHandler({ route: `/api/rpc/${name}`, handler: route })
  addServerHandler({ route: '/api/rpc/**', handler: route })
  // HTML forms without JavaScript, for methods defined with `form: true`.
  addServerHandler({ route: '/api/form/**', handler: runtimeDir.resolve('./server/rpc/form') })
  addServerPlugin(runtimeDir.resolve('./server/plugins/rpc-ssr'))

  // Types: the registry module for the server, and the method map that useRpc infers params and results from.
  addTypeTemplate({
    filename: 'types/storefront-rpc.d.ts',
    getContents: ({ nuxt: current }) => {
      const from = join(current.options.buildDir, 'types')
      const importPath = (path: string) => JSON.stringify(relative(from, path).replace(/\\/g, '/').replace(/^(?!\.)/, './'))
      const lines = [...collect()].map(([name, path]) => `    ${JSON.stringify(name)}: typeof import(${importPath(path)}).default`)
      return [
        `declare module '#storefront/rpc-registry' {`,
        `  export const methods: Record<string, () => Promise<{ default: import(${importPath(runtimeDir.resolve('./types/rpc'))}).RpcDefinition }>>`,
        `}`,
        `declare module '#storefront/rpc-methods' {`,
        `  export interface StorefrontRpcMethods {`,
        ...lines,
        `  }`,
        `}`,
      ].join('\n')
    },
  }, { nitro: true, nuxt: true })

  nuxt.hook('builder:watch', async (event, path) => {
    const dir = join(nuxt.options.serverDir, options.dir ?? 'rpc')
    if ((event === 'add' || event === 'unlink') && join(nuxt.options.rootDir, path).startsWith(dir)) {
      methods = collect()
      await nuxt.callHook('restart')
    }
  })
}
