import { describe, expect, it } from 'vitest'
import { parseUserAgent } from '../../src/runtime/shared/user-agent'

describe('parseUserAgent: what a device list shows', () => {
  it.each([
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', { browser: 'Safari', os: 'iOS', device: 'mobile' }],
    ['Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0 Mobile/15E148 Safari/604.1', { browser: 'Chrome', os: 'iOS', device: 'tablet' }],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', { browser: 'Firefox', os: 'Windows', device: 'desktop' }],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0', { browser: 'Edge', os: 'Windows', device: 'desktop' }],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', { browser: 'Safari', os: 'macOS', device: 'desktop' }],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36', { browser: 'Chrome', os: 'Linux', device: 'desktop' }],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36', { browser: 'Chrome', os: 'Android', device: 'mobile' }],
    ['Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', { browser: 'Chrome', os: 'Android', device: 'tablet' }],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', { browser: '', os: '', device: 'bot' }],
    ['curl/8.5.0', { browser: '', os: '', device: 'bot' }],
    ['', { browser: '', os: '', device: 'unknown' }],
    ['rpc-test/1.0', { browser: '', os: '', device: 'unknown' }],
  ])('%s', (ua, expected) => {
    expect(parseUserAgent(ua)).toEqual(expected)
  })
})
