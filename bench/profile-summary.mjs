// Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and the source files with
// the most inclusive time, with positions mapped through source maps (bench bundle, built playground) where present.
//   node bench/profile-summary.mjs bench/results/profiles/engine.cpuprofile [top]
import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ROOT } from './lib/paths.mjs'

/**
 * @typedef {object} Hotspot
 * @property {string} name function name
 * @property {string} location file:line (original source where a source map says so)
 * @property {number} selfMs time spent in the function itself
 * @property {number} selfPercent of the busy time
 */

const maps = new Map()
function sourceMapOf(url) {
  if (!maps.has(url)) {
    let map = null
    try {
      const file = url.startsWith('file:') ? fileURLToPath(url) : url
      if (existsSync(`${file}.map`)) map = { map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))), dir: dirname(file) }
    }
    catch {
      map = null
    }
    maps.set(url, map)
  }
  return maps.get(url)
}

function locate(frame) {
  const { url, lineNumber, columnNumber } = frame
  if (!url) return '(native)'
  const found = sourceMapOf(url)
  const entry = found?.map.findEntry(lineNumber, columnNumber)
  if (entry?.originalSource) {
    const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : resolve(found.dir, entry.originalSource)
    return `${relative(ROOT, source)}:${entry.originalLine + 1}`
  }
  const file = url.startsWith('file:') ? fileURLToPath(url) : url
  return `${file.startsWith(ROOT) ? relative(ROOT, file) : file}:${lineNumber + 1}`
}

/**
 * Reads a .cpuprofile and ranks functions by self time and files by inclusive time.
 * @param {string} file the profile
 * @param {number} [top] how many entries to list
 * @returns {{ totalMs: number, idleMs: number, overhead: Record<string, number>, functions: Hotspot[], projectFunctions: { name: string, location: string, inclusiveMs: number, inclusivePercent: number }[], files: { file: string, inclusiveMs: number, inclusivePercent: number }[] }} the summary
 */
export function summariseProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map(node => [node.id, node]))
  const parent = new Map()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const selfUs = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  // Percentages are of the busy time: a server is idle between loads and while it waits for Redis.
  let total = 0
  let idleUs = 0
  for (const [id, value] of selfUs) {
    if (byId.get(id).callFrame.functionName === '(idle)') idleUs += value
    else total += value
  }
  selfUs.forEach((_, id) => byId.get(id).callFrame.functionName === '(idle)' && selfUs.delete(id))
  const overhead = [...selfUs].filter(([id]) => ['(program)', '(garbage collector)'].includes(byId.get(id).callFrame.functionName))
  const functions = new Map()
  const files = new Map()
  const inclusive = new Map()
  const located = new Map()
  const where = (node) => {
    if (!located.has(node)) located.set(node, locate(byId.get(node).callFrame))
    return located.get(node)
  }
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame
    const location = locate(frame)
    const key = `${frame.functionName || '(anonymous)'} ${location}`
    functions.set(key, (functions.get(key) ?? 0) + us)
    // Inclusive per file and per function: each sample counts once for every distinct one on its stack.
    const seen = new Set()
    const seenFunctions = new Set()
    for (let node = id; node !== undefined; node = parent.get(node)) {
      const location = where(node)
      const f = location.replace(/:\d+$/, '')
      if (!seen.has(f)) {
        seen.add(f)
        files.set(f, (files.get(f) ?? 0) + us)
      }
      const name = `${byId.get(node).callFrame.functionName || '(anonymous)'} ${location}`
      if (!seenFunctions.has(name) && /^(?:src|bench|playground)\//.test(location)) {
        seenFunctions.add(name)
        inclusive.set(name, (inclusive.get(name) ?? 0) + us)
      }
    }
  }
  const ms = us => Math.round(us / 100) / 10
  const pct = us => Math.round((us / total) * 1000) / 10
  return {
    totalMs: ms(total),
    idleMs: ms(idleUs),
    overhead: Object.fromEntries(overhead.map(([id, us]) => [byId.get(id).callFrame.functionName, pct(us)])),
    functions: [...functions].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, us]) => {
      const space = key.indexOf(' ')
      return { name: key.slice(0, space), location: key.slice(space + 1), selfMs: ms(us), selfPercent: pct(us) }
    }),
    projectFunctions: [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, us]) => {
      const space = key.indexOf(' ')
      return { name: key.slice(0, space), location: key.slice(space + 1), inclusiveMs: ms(us), inclusivePercent: pct(us) }
    }),
    files: [...files].filter(([f]) => !f.startsWith('(')).sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, us]) => ({ file: f, inclusiveMs: ms(us), inclusivePercent: pct(us) })),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, top] = process.argv.slice(2)
  if (!file) {
    console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]')
    process.exit(1)
  }
  const summary = summariseProfile(file, Number(top) || 25)
  console.log(`${file}: ${summary.totalMs} ms busy (${summary.idleMs} ms idle left out); ${Object.entries(summary.overhead).map(([k, v]) => `${k} ${v}%`).join(', ')}`)
  console.log('\nself time by function (% of busy time):')
  for (const f of summary.functions) console.log(`  ${String(f.selfPercent).padStart(5)}%  ${f.name}  ${f.location}`)
  console.log('\ninclusive time by function of this project (src/, bench/, playground/; % of busy time):')
  for (const f of summary.projectFunctions) console.log(`  ${String(f.inclusivePercent).padStart(5)}%  ${f.name}  ${f.location}`)
  console.log('\ninclusive time by file (% of busy time):')
  for (const f of summary.files) console.log(`  ${String(f.inclusivePercent).padStart(5)}%  ${f.file}`)
}
