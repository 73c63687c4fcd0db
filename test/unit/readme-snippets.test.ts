import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readmeBlocks } from '../package/readme'

// Every snippet the README tells a user to paste is a file of the consumer app (test/consumer), which the package
// test typechecks, builds and runs against the packed tarball: a README change that breaks a snippet breaks CI.
const APP = fileURLToPath(new URL('../consumer/', import.meta.url))
const pasted = readmeBlocks().filter(block => ['ts', 'vue', 'jsonc'].includes(block.lang))

describe('README snippets', () => {
  it('finds the snippets', () => {
    expect(pasted.length).toBeGreaterThanOrEqual(10)
  })

  it.each(pasted.map(block => [`line ${block.line}: ${block.path ?? '(no path)'}`, block] as const))('%s says where it goes and stands verbatim in the consumer app', (_, block) => {
    expect(block.path, `the block at README line ${block.line} must start with the file it goes in`).toBeTruthy()
    const file = readFileSync(`${APP}${block.path}`, 'utf8')
    if (block.lang === 'jsonc') {
      expect(JSON.parse(file)).toMatchObject(JSON.parse(block.code.split('\n').slice(1).join('\n')))
    }
    else {
      expect(file).toContain(block.code)
    }
  })
})
