import {
  context,
  propagation,
  type ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type TracerProvider,
} from '@opentelemetry/sdk-trace';
import { register } from 'prom-client';
import { shutdownTelemetry, telemetryExporters } from './lifecycle';
import { counter, DomainMetrics, gauge, gaugeCollection } from './metrics';
import { kafkaAttributes, startProducerSpan, withConsumerSpan } from './messaging-spans';
import { chooseResourceDetectors, chooseTraceExporters, isProbe, startTelemetry, statementShape } from './sdk';
import {
  continueTrace,
  currentTraceIds,
  currentTraceResponse,
  traceCarrier,
  traced,
  Traced,
} from './tracing';

describe('statementShape: what a store span says of its command', () => {
  it('replaces every value, nested or in an array, with ?', () => {
    const at = new Date('2026-10-20T09:30:00.000Z');
    expect(statementShape({ q: { _id: 'ORD-1', buyerId: 'BUYER-DEMO', placedAt: { $gte: at }, revision: 3 } })).toBe(
      '{"q":{"_id":"?","buyerId":"?","placedAt":{"$gte":"?"},"revision":"?"}}',
    );
  });

  it("shows an array's first element and how many follow, however long it is", () => {
    const updates = Array.from({ length: 200 }, (_, i) => ({ q: { _id: `ORD-${i}` }, u: { $set: { status: 'routed' } } }));
    expect(statementShape({ update: 'orders', updates, ordered: false })).toBe(
      '{"update":"?","updates":[{"q":{"_id":"?"},"u":{"$set":{"status":"?"}}},"… 199 more"],"ordered":"?"}',
    );
    expect(statementShape({ ids: [] })).toBe('{"ids":[]}');
  });

  it('stops at a depth, and names no value a toJSON would give (a Date, an ObjectId, a Buffer)', () => {
    const deep = { a: { b: { c: { d: { e: { f: { g: { h: { i: 'secret' } } } } } } } } };
    expect(statementShape(deep)).not.toContain('secret');
    expect(statementShape({ id: { toJSON: () => 'ORD-1' }, bytes: Buffer.from('secret') })).toBe('{"id":"?","bytes":"?"}');
  });
});

describe('chooseTraceExporters', () => {
  it('exports nothing when nothing is configured, so tests and laptops stay quiet', () => {
    expect(chooseTraceExporters({})).toEqual({ exporters: [], unknown: [] });
  });
  it('defaults to OTLP when only an OTLP endpoint is given (docker-compose)', () => {
    expect(chooseTraceExporters({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }).exporters).toEqual([
      'otlp',
    ]);
  });
  it('follows OTEL_TRACES_EXPORTER, with none winning and unknown names reported', () => {
    expect(chooseTraceExporters({ OTEL_TRACES_EXPORTER: 'zipkin' }).exporters).toEqual(['zipkin']);
    expect(chooseTraceExporters({ OTEL_TRACES_EXPORTER: ' Zipkin , console,zipkin' }).exporters).toEqual([
      'zipkin',
      'console',
    ]);
    expect(
      chooseTraceExporters({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })
        .exporters,
    ).toEqual([]);
    expect(chooseTraceExporters({ OTEL_TRACES_EXPORTER: 'jaeger,otlp' })).toEqual({
      exporters: ['otlp'],
      unknown: ['jaeger'],
    });
  });
  it('treats health and metrics as probes, not work', () => {
    expect(['/health/ready', '/health/live', '/metrics', '/metrics?x=1'].every(isProbe)).toBe(true);
    expect(['/v1/lots', '/healthy', '/v1/metrics'].some(isProbe)).toBe(false);
  });
});

describe('tracing helpers on the real SDK with an in-memory exporter', () => {
  const exporter = new InMemorySpanExporter();
  let sdk: NodeSDK;
  const spans = () => exporter.getFinishedSpans();
  // The resource's detectors settle asynchronously; the processor exports once they have.
  const flush = () =>
    ((trace.getTracerProvider() as ProxyTracerProvider).getDelegate() as TracerProvider).forceFlush();
  const named = (name: string): ReadableSpan => {
    const s = spans().find((x) => x.name === name);
    if (!s)
      throw new Error(
        `no span ${name}; have ${spans()
          .map((x) => x.name)
          .join(', ')}`,
      );
    return s;
  };
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

  beforeAll(() => {
    // Every trace (the rate limit is sampler.spec.ts's): these tests start more than ten a second.
    sdk = startTelemetry({ env: { FIRSTMILE_TRACES_PER_SECOND: '0' }, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  });
  afterAll(async () => {
    await shutdownTelemetry();
  });
  beforeEach(() => exporter.reset());

  it('is reachable through its handle', () => {
    expect(sdk).toBeDefined();
    expect(telemetryExporters()).toEqual(['custom']);
  });

  it('describes the process by its host and instance, not its command line', async () => {
    await traced('described', () => undefined);
    await flush();
    const { resource } = named('described');
    await resource.waitForAsyncAttributes?.();
    expect(resource.attributes).toEqual(
      expect.objectContaining({ 'service.instance.id': expect.any(String), 'host.name': expect.any(String) }),
    );
    expect(Object.keys(resource.attributes).filter((k) => k.startsWith('process.') || k.startsWith('os.'))).toEqual([]);
    expect(chooseResourceDetectors({ OTEL_NODE_RESOURCE_DETECTORS: 'all' })).toBeUndefined();
  });

  it('traced() nests, ends on settle, and records a failure', async () => {
    const ids = await traced('outer', async () => {
      await traced('inner', async () => undefined);
      return currentTraceIds();
    });
    await flush();
    expect(ids?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(parentOf(named('inner'))).toBe(named('outer').spanContext().spanId);
    expect(named('outer').spanContext().traceId).toBe(ids?.trace_id);

    await expect(traced('broken', async () => Promise.reject(new Error('no stock')))).rejects.toThrow(
      'no stock',
    );
    expect(() => traced('sync', () => 42)).not.toThrow();
    await flush();
    expect(named('broken').status).toEqual({ code: SpanStatusCode.ERROR, message: 'no stock' });
    expect(named('broken').events.map((e) => e.name)).toEqual(['exception']);
    expect(named('sync').ended).toBe(true);
  });

  it('@Traced wraps a method, keeps its name and `this`, and reads attributes from the arguments', async () => {
    class Router {
      readonly attempts = 3;
      @Traced('route order', (orderId: string) => ({ 'firstmile.order_id': orderId }))
      async route(orderId: string): Promise<string> {
        return `${orderId}:${this.attempts}`;
      }
    }
    const r = new Router();
    await expect(r.route('ORD-1')).resolves.toBe('ORD-1:3');
    expect(r.route.name).toBe('route');
    await flush();
    expect(named('route order').attributes).toMatchObject({ 'firstmile.order_id': 'ORD-1' });
  });

  it('continueTrace() keeps a lot in its stored trace and links the request that moved it', async () => {
    const stored = await traced('lot logged', async () => traceCarrier());
    expect(stored.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await traced('POST /v1/lots/:lotId/grading', async () => {
      await continueTrace(stored, 'grade lot', async () => traced('write', async () => undefined));
    });
    await traced('request', async () => continueTrace(undefined, 'fresh', async () => undefined));
    await flush();
    const grade = named('grade lot');
    const request = named('POST /v1/lots/:lotId/grading');
    expect(grade.spanContext().traceId).toBe(named('lot logged').spanContext().traceId);
    expect(grade.spanContext().traceId).not.toBe(request.spanContext().traceId);
    expect(grade.links.map((l) => l.context.spanId)).toEqual([request.spanContext().spanId]);
    expect(parentOf(named('write'))).toBe(grade.spanContext().spanId);
    // Nothing stored: an ordinary child of the active span.
    expect(parentOf(named('fresh'))).toBe(named('request').spanContext().spanId);
  });

  it('links producer and consumer across a record: PRODUCER child of the stored context, CONSUMER child of the PRODUCER', async () => {
    // What newEvent() stores with an outbox entry, taken inside the request.
    const stored = await traced('POST /v1/orders', async () => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return carrier;
    });
    // The relay publishes later, from no context at all.
    const { span, headers } = startProducerSpan(
      stored,
      kafkaAttributes({
        topic: 'orders',
        operation: 'send',
        eventId: 'e-1',
        eventType: 'x.v1',
        subject: 'ORD-1',
      }),
    );
    span.end();
    const staged = await withConsumerSpan(
      headers,
      kafkaAttributes({
        topic: 'orders',
        operation: 'process',
        eventId: 'e-1',
        partition: 2,
        offset: '7',
        group: 'g',
      }),
      async () => traced('route order', async () => traceCarrier()),
    );
    await flush();
    const request = named('POST /v1/orders');
    const send = named('send orders');
    const process = named('process orders');
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(send)).toBe(request.spanContext().spanId);
    expect(parentOf(process)).toBe(send.spanContext().spanId);
    expect(parentOf(named('route order'))).toBe(process.spanContext().spanId);
    expect(new Set(spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    // What the handler stages next carries the handler's context: the trace goes on.
    expect(staged.traceparent).toContain(named('route order').spanContext().spanId);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.message.id': 'e-1',
      'firstmile.subject': 'ORD-1',
    });
    expect(process.attributes).toMatchObject({
      'messaging.destination.partition.id': '2',
      'messaging.kafka.offset': 7,
    });
  });

  it('a failing handler marks its consumer span and rethrows', async () => {
    await expect(
      withConsumerSpan({}, kafkaAttributes({ topic: 't', operation: 'process' }), async () =>
        Promise.reject(new Error('boom')),
      ),
    ).rejects.toThrow('boom');
    await flush();
    expect(named('process t').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('answers traceresponse for the active span only', async () => {
    expect(currentTraceResponse()).toBeUndefined();
    const [value, sc] = await traced(
      'req',
      async () => [currentTraceResponse(), trace.getActiveSpan()?.spanContext()] as const,
    );
    expect(value).toBe(`00-${sc?.traceId}-${sc?.spanId}-01`);
  });
});

describe('metrics helpers', () => {
  it('get-or-create: a second app in the process gets the same metric instead of an error', async () => {
    const a = counter('firstmile_test_things_total', 'things', ['kind'] as const);
    const b = counter('firstmile_test_things_total', 'things', ['kind'] as const);
    expect(a).toBe(b);
    a.inc({ kind: 'x' });
    DomainMetrics.reservations().inc({ outcome: 'reserved' });
    gauge('firstmile_test_level', 'level', ['k'] as const, async function () {
      this.set({ k: 'v' }, 7);
    });
    const text = await register.metrics();
    expect(text).toContain('firstmile_test_things_total{kind="x"} 1');
    expect(text).toContain('firstmile_reservations_total{outcome="reserved"} 1');
    expect(text).toContain('firstmile_test_level{k="v"} 7');
  });

  // Issue 22.4: each scrape of the public /metrics aggregated every outbox and read every group's offsets.
  it('collects a gauge at most once per interval, however many scrapes come', async () => {
    const interval = gaugeCollection.minIntervalMs;
    let reads = 0;
    let level = 0;
    gauge('firstmile_test_expensive', 'expensive', [] as const, async function () {
      reads += 1;
      await new Promise((r) => setTimeout(r, 20));
      this.set(++level);
    });
    try {
      gaugeCollection.minIntervalMs = 200;
      const texts = await Promise.all(Array.from({ length: 50 }, () => register.metrics()));
      expect(reads).toBe(1);
      expect(texts.every((t) => t.includes('firstmile_test_expensive 1'))).toBe(true);
      // Within the interval: the last values, no read.
      expect(await register.metrics()).toContain('firstmile_test_expensive 1');
      expect(reads).toBe(1);
      await new Promise((r) => setTimeout(r, 250));
      expect(await register.metrics()).toContain('firstmile_test_expensive 2');
      expect(reads).toBe(2);
    } finally {
      gaugeCollection.minIntervalMs = interval;
      register.removeSingleMetric('firstmile_test_expensive');
    }
  });
});
