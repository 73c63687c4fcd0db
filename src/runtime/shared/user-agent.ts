/** What a device list shows of a `User-Agent` header. */
export interface ParsedUserAgent {
  /** Browser family, e.g. `Firefox`, `Chrome`, `Safari`, `Edge`; `''` when unknown. */
  browser: string
  /** Operating system, e.g. `Windows`, `macOS`, `iOS`, `Android`, `Linux`; `''` when unknown. */
  os: string
  /** Device class. */
  device: 'desktop' | 'mobile' | 'tablet' | 'bot' | 'unknown'
}

// Order matters: Edge and Opera claim Chrome, Chrome claims Safari, every browser claims Mozilla.
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bCriOS\/|Chrom(?:e|ium)\//, 'Chrome'],
  [/\bVersion\/\d[^ ]* .*\bSafari\//, 'Safari'],
]
const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
]

/**
 * Reads browser, operating system and device class from a `User-Agent` header, as a device list shows them. Only
 * the common families are told apart; anything else is `''` (or `unknown`), never a guess.
 * @param userAgent the header as stored with the session (at most 256 characters)
 * @returns browser, OS and device class
 * @example
 * parseUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) … Version/17.4 Mobile/15E148 Safari/604.1')
 * // { browser: 'Safari', os: 'iOS', device: 'mobile' }
 */
export function parseUserAgent(userAgent: string): ParsedUserAgent {
  const ua = userAgent.slice(0, 512)
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1] ?? ''
  const os = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1] ?? ''
  let device: ParsedUserAgent['device'] = 'unknown'
  if (/bot\b|crawler|spider|\bcurl\/|\bwget\//i.test(ua)) device = 'bot'
  else if (/\biPad\b|\bTablet\b/.test(ua) || (os === 'Android' && !/\bMobile\b/.test(ua))) device = 'tablet'
  else if (/\bMobi|\biPhone\b|\biPod\b/.test(ua)) device = 'mobile'
  else if (os === 'Windows' || os === 'macOS' || os === 'Linux' || os === 'ChromeOS') device = 'desktop'
  return { browser, os, device }
}
