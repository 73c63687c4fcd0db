// Targets of the server-rendered page, the user with many sessions, the client JavaScript and durable writes, and the
// read path's regression guards on CPU per request. targets.mjs calls this; nothing here fails the run.

const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')

/** Session cost at most this share of the logged-in page's CPU. */
export const SSR_SESSION_SHARE = 0.03
/** A page of listSessions, and any one Redis script, within this many ms. */
export const SESSION_PAGE_MS = 5
/** Client JavaScript the module may add to a product page, gzipped. */
export const CLIENT_JS_GZIP_BYTES = 4096

/**
 * Adds the targets of the sections that ran.
 * @param {{ throughput?: any[], ssrPage?: any, userSessions?: any, clientJs?: any, durable?: any, pair?: any }} results
 * @param {(id: string, target: string, measured: string, met: boolean | null) => void} add records one target
 */
export function evaluatePageTargets({ throughput, ssrPage, userSessions, clientJs, durable, pair }, add) {
  if (throughput) {
    // Regression guards of the read path, on CPU per request (steadier than req/s on a shared machine).
    const variant = id => throughput.find(v => v.id === id && !v.skipped)
    const [engine, express, playground] = ['engine', 'express-session', 'playground'].map(variant)
    const expressCpu = engine && express ? express.cpuUsPerRequest / engine.cpuUsPerRequest : Number.NaN
    add('guard-engine-floor-cpu', 'guard: engine ≥ 0.85× the floor on CPU per request', `${fixed(engine?.cpuRatio)}× (${fixed(engine?.cpuUsPerRequest, 1)} µs per request)`, Number.isFinite(engine?.cpuRatio) ? engine.cpuRatio >= 0.85 : null)
    add('guard-engine-express-cpu', 'guard: engine ≥ 2.5× express-session on CPU per request', `${fixed(expressCpu)}× (${fixed(express?.cpuUsPerRequest, 1)} vs ${fixed(engine?.cpuUsPerRequest, 1)} µs)`, Number.isFinite(expressCpu) ? expressCpu >= 2.5 : null)
    // With the paired measure of the same two routes in the run, that one decides: the rounds are shown, not judged.
    const paired = pair?.comparisons.some(c => c.id === 'playground')
    add('guard-playground-floor-cpu', 'guard: playground getUser ≥ 0.9× its route floor on CPU per request', `${fixed(playground?.cpuRatio)}×${paired ? ' (rounds, not paired: the paired line decides)' : ''}`, Number.isFinite(playground?.cpuRatio) && !paired ? playground.cpuRatio >= 0.9 : null)
  }
  if (ssrPage) {
    const row = id => ssrPage.variants.find(v => v.id === id)
    const [loggedIn, anonymous, raw] = ['logged-in', 'anonymous', 'raw'].map(row)
    // With the paired measure of the same two renders in the run, that one decides: the rounds are shown, not judged.
    const paired = pair?.comparisons.some(c => c.id === 'ssr')
    add('ssr-session-cpu', `SSR product page: the session costs ≤ ${SSR_SESSION_SHARE * 100}% of the logged-in page's CPU (logged-in vs the same data from a raw ioredis GET)`,
      `${fixed(ssrPage.sessionShare * 100, 1)}% (${fixed(ssrPage.sessionCpuUs, 0)} µs of ${fixed(loggedIn.cpuUsPerRequest, 0)} µs per page, median of same-round differences; raw ${fixed(raw.cpuUsPerRequest, 0)} µs, anonymous ${fixed(anonymous.cpuUsPerRequest, 0)} µs)${paired ? ' (rounds, not paired: the paired line decides)' : ''}`,
      Number.isFinite(ssrPage.sessionShare) && !paired ? ssrPage.sessionShare <= SSR_SESSION_SHARE : null)
    add('ssr-session-reads', 'SSR product page, logged in: 1 session read, ≤ 2 round trips',
      `${loggedIn.sessionReads} session read, ${loggedIn.roundTrips} round trips (${Object.entries(loggedIn.byCommand).map(([c, n]) => `${c} ${n}`).join(', ')}); anonymous ${anonymous.roundTrips}, raw floor ${raw.roundTrips}`,
      loggedIn.sessionReads === 1 && loggedIn.roundTrips <= 2)
  }
  if (userSessions) {
    const { page, pageScripts, destroy, sessions, pageSize } = userSessions
    add('session-page', `a page of listSessions of a user with ${sessions.toLocaleString('en')} sessions ≤ ${SESSION_PAGE_MS} ms`,
      `${fixed(page.medianMs)} ms median end to end (p90 ${fixed(page.p90Ms)}, ${pageSize} per page; the store alone ${fixed(userSessions.storePage.medianMs)} ms)`,
      page.medianMs <= SESSION_PAGE_MS)
    const longest = Math.max(pageScripts.maxUs, destroy.maxScriptUs)
    add('session-scripts', `no single Redis script call > ${SESSION_PAGE_MS} ms (SLOWLOG), listing and destroying ${sessions.toLocaleString('en')} sessions`,
      `longest ${fixed(longest / 1000)} ms (list: median ${fixed(pageScripts.medianUs / 1000)} ms over ${pageScripts.calls}; destroy: ${destroy.scripts} scripts, median ${fixed(destroy.medianScriptUs / 1000)} ms, ${destroy.overTargetScripts ?? 0} over ${SESSION_PAGE_MS} ms)`,
      longest <= SESSION_PAGE_MS * 1000)
    add('session-destroy-all', 'destroySessionsForUserId of all of them: total time reported',
      `${destroy.destroyed.toLocaleString('en')} sessions in ${fixed(destroy.totalMs, 0)} ms end to end, ${fixed(destroy.sumScriptUs / 1000, 1)} ms inside Redis`, null)
  }
  if (clientJs) {
    add('client-js', `client JavaScript the module adds to a product page ≤ ${CLIENT_JS_GZIP_BYTES / 1024} KB gzip`,
      `${(clientJs.addedGzipBytes / 1024).toFixed(2)} KB gzip (${clientJs.apps.map(a => `${a.id}: ${a.files} files, ${(a.gzipBytes / 1024).toFixed(1)} KB`).join('; ')}; ${(clientJs.addedBytes / 1024).toFixed(1)} KB before gzip)`,
      clientJs.addedGzipBytes <= CLIENT_JS_GZIP_BYTES)
  }
  if (durable) {
    const [plain, safe] = durable.modes
    add('durable-cost', 'durable writes (waitForReplicas 1): CPU and latency per write reported next to the default mode',
      `CPU ${fixed(safe.cpuUsPerWrite, 1)} vs ${fixed(plain.cpuUsPerWrite, 1)} µs per write (${fixed(durable.ratio.cpuUsPerWrite)}×); p50 ${fixed(safe.p50Ms)} vs ${fixed(plain.p50Ms)} ms (${fixed(durable.ratio.p50Ms)}×), p99 ${fixed(safe.p99Ms)} vs ${fixed(plain.p99Ms)} ms; ${fixed(durable.ratio.writesPerSecond)}× the writes/s`, null)
  }
}
