// server/plugins/metrics.ts
import { metrics } from '@opentelemetry/api'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'

// Serves every metric of the app, the module's included, for Prometheus to scrape at :9464/metrics
// (OTEL_EXPORTER_PROMETHEUS_PORT and OTEL_EXPORTER_PROMETHEUS_HOST change where).
export default defineNitroPlugin(() => {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PrometheusExporter()] }))
})
