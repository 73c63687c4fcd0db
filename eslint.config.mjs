// @ts-check
import { createConfigForNuxt } from '@nuxt/eslint-config/flat'

export default createConfigForNuxt({
  features: { tooling: true, stylistic: true },
  dirs: { src: ['./playground'] },
}).append(
  {
    ignores: ['**/.output', '**/.nuxt', 'dist', 'test/artifacts', 'bench/results'],
  },
  {
    rules: {
      // Records keyed by hash or field name are edited in place on purpose (the generic stores).
      '@typescript-eslint/no-dynamic-delete': 'off',
      // `void` marks RPC methods without params in type-level code.
      '@typescript-eslint/no-invalid-void-type': 'off',
    },
  },
  {
    // Nuxt names pages after their routes.
    files: ['**/pages/**/*.vue'],
    rules: { 'vue/multi-word-component-names': 'off' },
  },
)
