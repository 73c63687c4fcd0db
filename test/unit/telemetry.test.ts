import { metrics } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { createStorage } from 'unstorage'
import { afterEach, describe, expect, it } from 'vitest'
import { createSessionStore, storefrontMemoryDriver } from '../../src/runtime/server/store'
import { instrumentSessionStore, isTelemetryEnabled } from '../../src/runtime/server/telemetry'

// OpenTelemetry costs nothing by default: without an SDK registered when the store opens, the store is handed back as
// it is, so a request runs exactly the code it runs without @opentelemetry/api.

function openStore() {
  const driver = storefrontMemoryDriver({ sweepIntervalMs: 0 })
  return createSessionStore(createStorage({ driver }), driver, { nativeTtl: true, sweepIntervalMs: 0 })
}

afterEach(() => {
  metrics.disable()
})

describe('the store\'s OpenTelemetry wrapper', () => {
  it('hands back the store itself when no SDK is registered', () => {
    const store = openStore()
    expect(isTelemetryEnabled()).toBe(false)
    expect(instrumentSessionStore(store, '1001')).toBe(store)
  })

  it('wraps every operation once an app registered a meter provider', async () => {
    const store = openStore()
    metrics.setGlobalMeterProvider(new MeterProvider())
    expect(isTelemetryEnabled()).toBe(true)
    const wrapped = instrumentSessionStore(store, '1001')
    expect(wrapped).not.toBe(store)
    expect(wrapped.read).not.toBe(store.read)
    expect(await wrapped.read('1001:s:absent')).toBeNull()
  })
})
