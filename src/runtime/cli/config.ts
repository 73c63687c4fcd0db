import { pathToFileURL } from 'node:url'
import { loadNuxt, tryResolveModule } from '@nuxt/kit'
import type { ModuleOptions } from '../types'

/**
 * The module's runtime config as the app's production server sees it: the app's nuxt config is loaded through
 * @nuxt/kit in `cwd` (its modules run, this one included, so the config is resolved as at build time), then the
 * environment is applied with Nitro's own code, as the server applies it at start (`NUXT_STOREFRONT_*`, or
 * `NITRO_STOREFRONT_*`). A `.env` file is not read, as the production server does not read one either.
 * @param cwd the app's folder
 * @returns the `storefront` runtime config
 */
export async function loadServerConfig(cwd: string): Promise<ModuleOptions> {
  const nuxt = await loadNuxt({ cwd, dev: false, ready: true, dotenv: false, overrides: { logLevel: 'silent' } })
  try {
    const runtimeConfig = nuxt.options.runtimeConfig as unknown as { storefront?: ModuleOptions, nitro?: { envPrefix?: string, envExpansion?: boolean } }
    const envHelper = await tryResolveModule('nitropack/runtime/internal/utils.env', [cwd, ...nuxt.options.modulesDir])
    if (!envHelper) {
      throw new Error(`cannot find nitropack from ${cwd}: run the command in the folder of a Nuxt app with its dependencies installed`)
    }
    const { applyEnv } = await import(pathToFileURL(envHelper).href) as { applyEnv: <T>(config: T, options: Record<string, unknown>) => T }
    const config = applyEnv({ storefront: structuredClone(runtimeConfig.storefront ?? {}) }, {
      prefix: 'NITRO_',
      altPrefix: runtimeConfig.nitro?.envPrefix ?? process.env.NITRO_ENV_PREFIX ?? '_',
      envExpansion: runtimeConfig.nitro?.envExpansion ?? process.env.NITRO_ENV_EXPANSION ?? false,
    })
    return config.storefront as ModuleOptions
  }
  finally {
    await nuxt.close()
  }
}
