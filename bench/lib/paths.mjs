import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where results go (git-ignored, and ignored by ESLint). */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url))
/** Where the engine bundle goes. */
export const BUILD_DIR = `${RESULTS_DIR}.build/`
/** The engine bundle: the session engine of src/, built fresh on every run. */
export const ENGINE_BUNDLE = `${BUILD_DIR}session.mjs`
/** The store's OpenTelemetry wrapper (variant 2b), bundled apart from the engine. */
export const TELEMETRY_BUNDLE = `${BUILD_DIR}telemetry.mjs`
/** The built playground's server. */
export const PLAYGROUND_SERVER = `${ROOT}playground/.output/server/index.mjs`
