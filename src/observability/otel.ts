import type { Meter, Tracer } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR } from './semconv.js';

export interface OtlpExportOptions {
  serviceName?: string;
  serviceVersion?: string;
  /** The collector's base URL (`http://localhost:4318`); `/v1/traces` and `/v1/metrics` are added. */
  endpoint: string;
  headers?: Record<string, string>;
  metricsIntervalMs?: number;
  /** How long spans wait in the batch before export (default 1000 ms). */
  spanDelayMs?: number;
}

/** A tracer and a meter exporting over OTLP/HTTP (JSON), and how to flush and stop them. */
export interface OtlpPipeline {
  tracer: Tracer;
  meter: Meter;
  /** Exports everything buffered now (spans and metrics). */
  flush(): Promise<void>;
  /** Flushes, then stops both providers. */
  shutdown(): Promise<void>;
}

/**
 * Providers of their own rather than the global ones: an embedding program keeps its own OTel setup,
 * and Switchyard's spans carry their parents explicitly (derived from the journal), so they need no
 * context manager.
 */
export function startOtlpPipeline(options: OtlpExportOptions): OtlpPipeline {
  const base = options.endpoint.replace(/\/+$/, '');
  const headers = options.headers ?? {};
  const resource = resourceFromAttributes({
    [ATTR.serviceName]: options.serviceName ?? 'switchyard',
    ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
  });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, headers }), {
        scheduledDelayMillis: options.spanDelayMs ?? 1000,
      }),
    ],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics`, headers }),
        exportIntervalMillis: options.metricsIntervalMs ?? 60_000,
      }),
    ],
  });
  return {
    tracer: tracerProvider.getTracer('switchyard', options.serviceVersion),
    meter: meterProvider.getMeter('switchyard', options.serviceVersion),
    async flush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
