import type { IncomingMessage } from 'node:http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { envDetector, hostDetector, type ResourceDetector, serviceInstanceIdDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { installTelemetryHandle } from './lifecycle';
import { chooseSampler, type Env } from './sampler';

export type TraceExporterName = 'otlp' | 'zipkin' | 'console';
const KNOWN: readonly TraceExporterName[] = ['otlp', 'zipkin', 'console'];

/**
 * Which exporters the standard variables ask for. Unlike the SDK's own default (OTLP to
 * localhost), nothing configured means no export: a test or a laptop without a collector stays
 * quiet instead of logging connection errors every five seconds.
 */
export function chooseTraceExporters(env: Env): { exporters: TraceExporterName[]; unknown: string[] } {
  const listed = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (listed.length === 0) {
    const otlpConfigured = Boolean(
      env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
    );
    return { exporters: otlpConfigured ? ['otlp'] : [], unknown: [] };
  }
  if (listed.includes('none')) return { exporters: [], unknown: [] };
  const unknown = listed.filter((n) => !KNOWN.includes(n as TraceExporterName));
  const exporters = [
    ...new Set(listed.filter((n): n is TraceExporterName => KNOWN.includes(n as TraceExporterName))),
  ];
  return { exporters, unknown };
}

const numberFrom = (env: Env, name: string): number | undefined => {
  const n = Number(env[name]);
  return env[name] !== undefined && env[name] !== '' && Number.isFinite(n) && n >= 0 ? n : undefined;
};

function processorFor(name: TraceExporterName, env: Env): SpanProcessor {
  if (name === 'console') return new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() });
  // Both read their endpoint from the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT,
  // OTEL_EXPORTER_ZIPKIN_ENDPOINT); OTLP is HTTP/JSON, which Jaeger and every collector accept.
  const exporter: SpanExporter = name === 'otlp' ? new OTLPTraceExporter() : new ZipkinExporter();
  return new BatchSpanProcessor({
    exporter,
    scheduledDelayMillis: numberFrom(env, 'OTEL_BSP_SCHEDULE_DELAY'),
    maxQueueSize: numberFrom(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
    maxExportBatchSize: numberFrom(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    exportTimeoutMillis: numberFrom(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
  });
}

/**
 * A store command's shape for `db.query.text`: every value is '?' (no personal data), and an array
 * shows its first element and how many follow. The instrumentation's own serializer walks the
 * whole command: a bulk write of 200 orders, and the relay's outbox pulls, cost more to describe
 * than the span they describe.
 */
export function statementShape(command: unknown): string {
  return JSON.stringify(shapeOf(command, 0));
}

const SHAPE_DEPTH = 8;

function shapeOf(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return '?';
  if (depth >= SHAPE_DEPTH) return '…';
  if (Array.isArray(value)) {
    if (value.length === 0) return [];
    const first = shapeOf(value[0], depth + 1);
    return value.length === 1 ? [first] : [first, `… ${value.length - 1} more`];
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = shapeOf(v, depth + 1);
  return out;
}

/**
 * What describes the process on every span, unless `OTEL_NODE_RESOURCE_DETECTORS` chooses
 * (`all` brings back the SDK's default): `OTEL_RESOURCE_ATTRIBUTES`, the host, and the service
 * instance (one per process, so replicas tell apart). Not the process and os detectors: their
 * eleven attributes (the command line, the executable's path, the kernel's version) say nothing a
 * trace is read for, and Zipkin's format repeats the resource on every span, where they took about
 * half of each span's size and of the trace store's memory per span.
 */
export function chooseResourceDetectors(env: Env): ResourceDetector[] | undefined {
  return env['OTEL_NODE_RESOURCE_DETECTORS'] ? undefined : [envDetector, hostDetector, serviceInstanceIdDetector];
}

/** Probes and scrapes are not work: tracing them would bury the traces that matter. */
export const isProbe = (url: string | undefined): boolean => /^\/(health|metrics)(\/|\?|$)/.test(url ?? '');

export interface StartTelemetryOptions {
  env?: Env;
  /** Replaces the exporters chosen from the environment (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts the OpenTelemetry SDK: W3C trace context, HTTP server/client spans and MongoDB command
 * spans, exporters from `OTEL_*`, at most `FIRSTMILE_TRACES_PER_SECOND` new traces a second
 * (`chooseSampler`). Must run before http and mongodb are first required (register.ts
 * is preloaded with `node --require`). Metrics stay with Prometheus (/metrics); logs with pino.
 */
export function startTelemetry({ env = process.env, spanProcessors }: StartTelemetryOptions = {}): NodeSDK {
  const chosen = chooseTraceExporters(env);
  if (chosen.unknown.length > 0) {
    process.stderr.write(
      `[telemetry] ignoring unknown OTEL_TRACES_EXPORTER value(s): ${chosen.unknown.join(', ')}\n`,
    );
  }
  const processors = spanProcessors ?? chosen.exporters.map((n) => processorFor(n, env));
  const sampler = chooseSampler(env);
  const resourceDetectors = chooseResourceDetectors(env);
  const sdk = new NodeSDK({
    ...(sampler ? { sampler } : {}),
    ...(resourceDetectors ? { resourceDetectors } : {}),
    // With no exporter the provider still makes real trace ids: they correlate logs, Kafka
    // headers and `traceresponse` even where no trace backend listens.
    spanProcessors: processors.length > 0 ? processors : [new NoopSpanProcessor()],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => isProbe(req.url),
        // Outgoing calls of background work (an exporter, a key-set fetch) are not a trace of their own.
        requireParentforOutgoingSpans: true,
      }),
      // Only inside a request or a handled event: the outbox relay's idle polls would otherwise be
      // a root trace each. Statements are recorded as their shape (`statementShape`).
      new MongoDBInstrumentation({ requireParentSpan: true, dbStatementSerializer: statementShape }),
    ],
  });
  sdk.start();
  installTelemetryHandle({
    shutdown: () => sdk.shutdown(),
    exporters: spanProcessors ? ['custom'] : chosen.exporters,
  });
  return sdk;
}
