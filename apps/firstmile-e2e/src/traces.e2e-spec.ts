import { randomUUID } from 'node:crypto';
import {
  LotGradedV1,
  LotLoggedV1,
  OrderPlacedV1,
  ReserveStockV1,
  ShipmentCreatedV1,
  StockReceivedV1,
  StockReservedV1,
} from '@firstmile/contracts';
import { waitFor } from '@firstmile/testing';
import { client, type Reply, requireTool, type ServiceName, startStack, type Stack } from './stack';

/** A span as Zipkin's v2 API returns it. */
interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}
interface Zipkin {
  url: string;
  spansEndpoint: string;
  stop(): Promise<void>;
}
interface ZipkinModule {
  startZipkin(opts: { port: number; log: (line: string) => void }): Promise<Zipkin>;
}

const SERVICES: ServiceName[] = ['harvest-intake', 'grading', 'warehouse', 'order-routing'];
const ZIPKIN_PORT = Number(process.env['TEST_ZIPKIN_PORT'] ?? 19411);

/** The trace id of a request, from the W3C `traceresponse` header every service answers. */
const traceIdOf = (reply: Reply<unknown>): string => {
  const value = reply.headers.get('traceresponse');
  expect(value).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  return (value as string).split('-')[1];
};

const serviceOf = (s: ZipkinSpan) => s.localEndpoint?.serviceName ?? '?';
const eventTypeOf = (s: ZipkinSpan) => s.tags?.['cloudevents.event_type'];
const producerOf = (type: string) => (s: ZipkinSpan) => s.kind === 'PRODUCER' && eventTypeOf(s) === type;
const consumerOf = (type: string) => (s: ZipkinSpan) => s.kind === 'CONSUMER' && eventTypeOf(s) === type;
/** The services whose consumer spans handled events of this type in the trace. */
const consumersOf = (spans: ZipkinSpan[], type: string) => [
  ...new Set(spans.filter(consumerOf(type)).map(serviceOf)),
];

/**
 * The shape every flow's trace must have: one root (the HTTP request that started it), every other
 * span's parent inside the trace, and every Kafka consumer span a child of the producer span of the
 * very record it handled (same event id, same topic) — the link the outbox and the headers carry.
 */
function expectOneConnectedTrace(spans: ZipkinSpan[]): void {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const roots = spans.filter((s) => !s.parentId || !byId.has(s.parentId));
  expect(roots.map((s) => `${serviceOf(s)} ${s.kind ?? 'INTERNAL'} ${s.name}`)).toHaveLength(1);
  expect(roots[0].kind).toBe('SERVER');
  const consumers = spans.filter((s) => s.kind === 'CONSUMER');
  expect(consumers.length).toBeGreaterThan(0);
  for (const c of consumers) {
    const parent = byId.get(c.parentId ?? '');
    expect({ consumer: c.name, parentKind: parent?.kind }).toEqual({
      consumer: c.name,
      parentKind: 'PRODUCER',
    });
    expect(parent?.tags?.['messaging.message.id']).toBe(c.tags?.['messaging.message.id']);
    expect(parent?.tags?.['messaging.destination.name']).toBe(c.tags?.['messaging.destination.name']);
  }
}

// --- Prometheus text format (exposition format 0.0.4), strictly enough to catch a broken endpoint.
const METRIC_LINE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*")*)?,?\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|\+Inf|-Inf))(?: -?\d+)?$/;
const COMMENT_LINE = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]*( .*)?$/;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || COMMENT_LINE.test(line)) continue;
    const m = METRIC_LINE.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g)].map((l) => [l[1], l[2]]),
    );
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);

/**
 * Issue 7's "must show": with the embedded Zipkin as the exporter, one lot and one order go
 * through the four running services; Zipkin's own API then returns ONE trace per flow holding
 * spans of every service it touched, linked parent → child across Kafka. The same run shows every
 * /metrics endpoint parsing as Prometheus text, its counters moved by the work.
 */
describe('traces and metrics across the four services', () => {
  let zipkin: Zipkin | undefined;
  let stack: Stack | undefined;
  const scrape = async (service: ServiceName) => {
    const res = await fetch(live().url(service, '/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };
  const live = () => {
    if (!stack) throw new Error('stack not started');
    return stack;
  };
  const before = new Map<ServiceName, Sample[]>();
  let lotTraceId = '';
  let orderTraceId = '';
  let lotId = '';

  /** Zipkin's trace, once `done` says it holds what the flow must have produced. */
  const traceWhen = async (
    traceId: string,
    done: (spans: ZipkinSpan[]) => boolean,
    what: string,
  ): Promise<ZipkinSpan[]> => {
    let last: ZipkinSpan[] = [];
    // Each service exports its spans in its own batches: a span's parent, sent by another service,
    // may reach Zipkin a moment after it. Wait for the trace to hang together as well.
    const connected = (spans: ZipkinSpan[]) => {
      const ids = new Set(spans.map((s) => s.id));
      return spans.filter((s) => !s.parentId || !ids.has(s.parentId)).length === 1;
    };
    try {
      return await waitFor(
        async () => {
          const res = await fetch(`${zipkin?.url}/api/v2/trace/${traceId}`);
          if (res.status !== 200) return undefined;
          last = (await res.json()) as ZipkinSpan[];
          return done(last) && connected(last) ? last : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 500, what },
      );
    } catch (err) {
      const seen = last.map(
        (s) =>
          `${serviceOf(s)}: ${s.kind ?? 'INTERNAL'} ${s.name}${eventTypeOf(s) ? ` [${eventTypeOf(s)}]` : ''}`,
      );
      throw new Error(
        `${(err as Error).message}\ntrace ${traceId} holds ${last.length} spans:\n  ${seen.join('\n  ')}`,
      );
    }
  };

  beforeAll(async () => {
    const { startZipkin } = requireTool<ZipkinModule>('tools/infra/zipkin.mjs');
    zipkin = await startZipkin({ port: ZIPKIN_PORT, log: (line) => process.stderr.write(`${line}\n`) });
    stack = await startStack('traces', {
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint,
      // Export within a fraction of a second, so the test does not wait out the 5 s default.
      OTEL_BSP_SCHEDULE_DELAY: '200',
      // Every trace: what is checked here is the traces' shape, not the rate limit (sampler.spec.ts).
      FIRSTMILE_TRACES_PER_SECOND: '0',
    });
    for (const s of SERVICES) before.set(s, await scrape(s));
  });

  afterAll(async () => {
    await stack?.stop();
    await zipkin?.stop();
  });

  it('pushes one lot to stock received and one order to routed; every /metrics parses and its counters moved', async () => {
    // Passion fruit at Xunwu: the slice test (same run, same topics) orders apples, so neither
    // test's stock can serve the other's order.
    const ops = client(live(), { role: 'ops', sub: 'ops-traces' });
    const coop = await ops.post<{ id: string }>('harvest-intake', '/v1/cooperatives', {
      name: 'Xunwu trace cooperative',
      county: 'CN-JX-XUNWU',
      province: 'Jiangxi',
      location: { lat: 24.96, lon: 115.65 },
    });
    expect(coop.status).toBe(201);
    const manager = client(live(), { role: 'coop_manager', coop: coop.body.id, sub: 'manager-traces' });
    const grower = await manager.post<{ id: string }>(
      'harvest-intake',
      `/v1/cooperatives/${coop.body.id}/growers`,
      { name: 'Chen Meiling' },
    );
    const orchard = await manager.post<{ id: string }>(
      'harvest-intake',
      `/v1/cooperatives/${coop.body.id}/orchards`,
      {
        growerId: grower.body.id,
        name: 'Chengjiang hillside',
        areaMu: 30,
        location: { lat: 24.9, lon: 115.7 },
        produce: 'passion_fruit',
        variety: 'Purple',
      },
    );
    expect([grower.status, orchard.status]).toEqual([201, 201]);

    // The lot: logged at harvest-intake, graded at grading, received as stock at the warehouse.
    const lot = await manager.post<{ id: string }>(
      'harvest-intake',
      '/v1/lots',
      {
        cooperativeId: coop.body.id,
        growerId: grower.body.id,
        orchardId: orchard.body.id,
        produce: 'passion_fruit',
        variety: 'Purple',
        harvestedAt: new Date(Date.now() - 86_400_000).toISOString(),
        quantityKg: 800,
        originWarehouseId: 'WH-XUNWU-ORIGIN',
      },
      { 'idempotency-key': randomUUID(), 'x-request-id': 'traces-e2e-lot' },
    );
    expect(lot.status).toBe(201);
    expect(lot.headers.get('x-request-id')).toBe('traces-e2e-lot');
    lotId = lot.body.id;
    lotTraceId = traceIdOf(lot);

    const line = client(live(), {
      role: 'grading_line',
      warehouses: ['WH-XUNWU-ORIGIN'],
      sub: 'line-traces',
    });
    await waitFor(async () => (await line.get('grading', `/v1/lots/${lotId}/grading`)).status === 200, {
      what: 'grading to know the lot',
    });
    const graded = await line.post<{ subLots: Array<{ id: string; grade: string; brand: string | null }> }>(
      'grading',
      `/v1/lots/${lotId}/grading`,
      {
        bands: [
          { grade: 'jumbo', quantityKg: 300 },
          { grade: 'large', quantityKg: 300 },
          { grade: 'medium', quantityKg: 150 },
        ],
      },
    );
    expect(graded.status).toBe(201);
    const operator = client(live(), {
      role: 'warehouse_operator',
      warehouses: ['WH-XUNWU-ORIGIN'],
      sub: 'operator-traces',
    });
    await waitFor(
      async () => {
        const r = await operator.get<{ items: Array<{ lotId: string }> }>(
          'warehouse',
          '/v1/warehouses/WH-XUNWU-ORIGIN/stock?produce=passion_fruit',
        );
        return r.body.items.filter((i) => i.lotId === lotId).length === 3;
      },
      { what: 'stock received' },
    );
    // Stored at the warehouse is not yet published: order-routing judges "more than the network
    // holds" on what the warehouse has published, so an order placed in between is refused.
    const stockPublished = (samples: Sample[]) =>
      total(samples, 'firstmile_events_published_total', { type: StockReceivedV1.type });
    await waitFor(
      async () =>
        stockPublished(await scrape('warehouse')) - stockPublished(before.get('warehouse') ?? []) >= 3,
      { what: 'stock received published' },
    );

    // The order: placed at order-routing, stock reserved at the warehouse, routed, shipment created.
    const large = graded.body.subLots.find((s) => s.grade === 'large');
    const buyer = client(live(), { role: 'buyer', buyer: 'BUYER-TRACES', sub: 'buyer-traces' });
    const placed = await buyer.post<{ id: string }>(
      'order-routing',
      '/v1/orders',
      {
        channel: 'wholesale',
        destination: { city: 'Hangzhou', location: { lat: 30.27, lon: 120.15 } },
        lines: [
          {
            produce: 'passion_fruit',
            minGrade: 'large',
            ...(large?.brand ? { brand: large.brand } : {}),
            quantityKg: 200,
          },
        ],
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(placed.status).toBe(202);
    orderTraceId = traceIdOf(placed);
    const order = await waitFor(
      async () => {
        const r = await buyer.get<{ status: string; shipments: string[] }>(
          'order-routing',
          `/v1/orders/${placed.body.id}`,
        );
        return r.body.status !== 'received' ? r.body : undefined;
      },
      { what: 'order routed' },
    );
    expect(order.status).toBe('routed');
    await waitFor(
      async () => (await buyer.get('order-routing', `/v1/shipments/${order.shipments[0]}`)).status === 200,
      { what: 'shipment created' },
    );

    // Every endpoint parses, and the work shows in its counters.
    const after = new Map<ServiceName, Sample[]>();
    for (const s of SERVICES) after.set(s, await scrape(s));
    const moved = (s: ServiceName, name: string, labels: Record<string, string> = {}) =>
      total(after.get(s) ?? [], name, labels) - total(before.get(s) ?? [], name, labels);

    expect(
      moved('harvest-intake', 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/lots',
        status_code: '201',
      }),
    ).toBe(1);
    expect(
      moved('grading', 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/lots/:lotId/grading',
        status_code: '201',
      }),
    ).toBe(1);
    expect(
      moved('order-routing', 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/orders',
        status_code: '202',
      }),
    ).toBe(1);
    expect(
      moved('harvest-intake', 'firstmile_events_published_total', { type: LotLoggedV1.type }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('grading', 'firstmile_events_consumed_total', { type: LotLoggedV1.type }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('grading', 'firstmile_events_published_total', { type: LotGradedV1.type }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('warehouse', 'firstmile_events_consumed_total', { type: LotGradedV1.type }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('warehouse', 'firstmile_events_published_total', { type: StockReceivedV1.type }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      moved('warehouse', 'firstmile_events_consumed_total', { type: ReserveStockV1.type }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('order-routing', 'firstmile_events_consumed_total', { type: StockReservedV1.type }),
    ).toBeGreaterThanOrEqual(1);
    // Each first delivery's wait since the event occurred, by type.
    expect(
      moved('warehouse', 'firstmile_event_delivery_delay_seconds_count', { type: ReserveStockV1.type }),
    ).toBeGreaterThanOrEqual(1);
    expect(moved('order-routing', 'firstmile_outbox_publish_latency_seconds_count')).toBeGreaterThanOrEqual(
      3,
    );
    for (const s of SERVICES) {
      const samples = after.get(s) ?? [];
      // Present on every service: its lag per partition, its outbox backlog, the runtime's own metrics.
      expect(samples.some((m) => m.name === 'firstmile_consumer_lag' && m.labels['service'] === s)).toBe(
        true,
      );
      expect(samples.some((m) => m.name === 'firstmile_outbox_backlog')).toBe(true);
      expect(samples.some((m) => m.name === 'process_cpu_user_seconds_total')).toBe(true);
      expect(total(samples, 'firstmile_events_dead_lettered_total')).toBe(0);
    }
  });

  it('one order is one trace: order-routing and warehouse spans, linked parent → child across Kafka', async () => {
    expect(orderTraceId).not.toBe('');
    const spans = await traceWhen(
      orderTraceId,
      (t) => t.some(producerOf(ShipmentCreatedV1.type)),
      'the order trace to reach the shipment created',
    );
    expectOneConnectedTrace(spans);
    expect([...new Set(spans.map(serviceOf))].sort()).toEqual(
      expect.arrayContaining(['order-routing', 'warehouse']),
    );
    // order-routing → (OrderPlaced, its own consumer) → ReserveStock → warehouse → StockReserved → order-routing.
    expect(consumersOf(spans, OrderPlacedV1.type)).toContain('order-routing');
    expect(consumersOf(spans, ReserveStockV1.type)).toEqual(['warehouse']);
    expect(consumersOf(spans, StockReservedV1.type)).toContain('order-routing');
    // MongoDB commands inside the handlers belong to the trace too.
    expect(spans.some((s) => s.tags?.['db.system.name'] === 'mongodb' && serviceOf(s) === 'warehouse')).toBe(
      true,
    );
  });

  it('one lot is one trace: from POST /v1/lots through grading to the stock received', async () => {
    expect(lotTraceId).not.toBe('');
    const spans = await traceWhen(
      lotTraceId,
      (t) => t.some(producerOf(StockReceivedV1.type)),
      'the lot trace to reach the stock received',
    );
    expectOneConnectedTrace(spans);
    expect([...new Set(spans.map(serviceOf))]).toEqual(
      expect.arrayContaining(['harvest-intake', 'grading', 'warehouse']),
    );
    expect(consumersOf(spans, LotLoggedV1.type)).toContain('grading');
    expect(consumersOf(spans, LotGradedV1.type)).toContain('warehouse');
    // Ops find it by the lot id: the event spans carry the CloudEvents subject.
    expect(spans.some((s) => s.tags?.['firstmile.subject'] === lotId)).toBe(true);
  });
});
