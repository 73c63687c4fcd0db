import { table } from './report.mjs'

const num = (value, digits = 0) => (Number.isFinite(value) ? value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a')

/**
 * The sections of the server-rendered page, the user with many sessions and the client JavaScript, as text lines.
 * @param {any} result what runBench returned
 * @returns {string[]} the lines (none for sections that did not run)
 */
export function formatPageSections(result) {
  const out = []
  const { options } = result
  if (result.ssrPage) {
    const s = result.ssrPage
    out.push('', `Server-rendered product page (GET ${s.page} of the built playground on Redis): ${options.ssrPage.rounds} rounds × ${options.ssrPage.duration} s per render, medians`)
    out.push(table(
      ['render', 'req/s', 'p50 ms', 'CPU µs/page', 'round trips', 'commands', 'session reads', 'by command', 'failed'],
      s.variants.map(v => [v.label, num(v.rps), num(v.p50, 1), num(v.cpuUsPerRequest, 0), v.roundTrips, v.commands, v.sessionReads, Object.entries(v.byCommand).map(([c, n]) => `${c} ${n}`).join(', ') || '-', v.failed]),
    ))
    out.push(`the session's cost: logged-in minus raw, ${num(s.sessionCpuUs, 0)} µs per page = ${num(s.sessionShare * 100, 1)}% of the logged-in page (median of same-round differences).`)
  }
  if (result.userSessions) {
    const u = result.userSessions
    out.push('', `A user with ${num(u.sessions)} sessions (seeded through the store in ${num(u.seedSeconds, 1)} s), on the built playground`)
    out.push(table(
      ['operation', 'median ms', 'p90 ms', 'max ms', 'scripts', 'script median ms', 'longest script ms'],
      [
        [`listSessions, first page of ${u.pageSize} (RPC, end to end, ${u.page.samples}×)`, num(u.page.medianMs, 2), num(u.page.p90Ms, 2), num(u.page.maxMs, 2), u.pageScripts.calls, num(u.pageScripts.medianUs / 1000, 2), num(u.pageScripts.maxUs / 1000, 2)],
        ['the same page through the store (bench process, no HTTP)', num(u.storePage.medianMs, 2), num(u.storePage.p90Ms, 2), '', '', '', ''],
        [`destroySessionsForUserId of ${num(u.destroy.destroyed)} (logoutOtherDevices)`, num(u.destroy.totalMs, 0), '', '', u.destroy.scripts, num(u.destroy.medianScriptUs / 1000, 2), num(u.destroy.maxScriptUs / 1000, 2)],
      ],
    ))
    out.push(`scripts: run time inside Redis from SLOWLOG (threshold 0); destroy spent ${num(u.destroy.sumScriptUs / 1000, 1)} ms inside Redis.`)
  }
  if (result.clientJs) {
    const c = result.clientJs
    out.push('', `Client JavaScript of a product page (GET ${c.page} in Chromium, every script loaded until the network is idle, each gzipped at level 9)`)
    out.push(table(
      ['build', 'files', 'bytes', 'gzip bytes'],
      c.apps.map(a => [a.label, a.files, num(a.bytes), num(a.gzipBytes)]),
    ))
    out.push(`the module adds ${num(c.addedGzipBytes)} bytes gzipped (${num(c.addedBytes)} before gzip).`)
  }
  return out
}
