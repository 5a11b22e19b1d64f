/**
 * Firstmile's own figures, measured against the five services running as real processes (the way
 * `npm start` runs them). Everything the loads need is seeded through the public HTTP APIs.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import mongoose from 'mongoose';
import type { BenchConfig } from './baselines';
import { lotLikeBody } from './baselines';
import {
  call,
  errorText,
  expectStatus,
  out,
  percentile,
  pool,
  sleep,
  tokenFor,
  waitFor,
  withTimeout,
} from './lib';
import type { Results } from './results';

export type ServiceName = 'harvest-intake' | 'grading' | 'warehouse' | 'order-routing' | 'insights';

export interface StackHandle {
  url(service: ServiceName, path?: string): string;
  pid(service: ServiceName | 'console'): number | undefined;
}

/** npm start's five services: every one's store commands count in the per-order and per-lot budgets. */
export const SERVICES: readonly ServiceName[] = ['harvest-intake', 'grading', 'warehouse', 'order-routing', 'insights'];

const WAREHOUSE = 'WH-LIXIAN-ORIGIN';
const COUNTY = 'CN-GS-LIXIAN';

export interface Seed {
  coopId: string;
  growerId: string;
  orchardId: string;
  managerToken: string;
  buyerToken: string;
  /** Sub-lots in stock that orders can be served from. */
  stockKg: number;
}

/** Sum of the high watermarks of every topic: how many events the whole system has written. */
export async function eventsWritten(kafka: Kafka, topics?: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const names =
      topics ?? (await admin.listTopics()).filter((t) => !t.startsWith('__') && !t.startsWith('bench.'));
    let total = 0;
    for (const t of names) {
      for (const p of await admin.fetchTopicOffsets(t)) total += Number(p.high);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

export function kafkaClient(cfg: BenchConfig): Kafka {
  return new Kafka({
    clientId: 'bench-observer',
    brokers: cfg.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
}

const orderBody = () => ({
  channel: 'marketplace',
  destination: { city: 'Hangzhou', location: { lat: 30.27, lon: 120.15 } },
  lines: [{ produce: 'apple', minGrade: 'grade_2', quantityKg: 1 }],
});

/**
 * A cooperative with a grower and an orchard; `stockLots` lots of 100 t graded into bands, so the
 * warehouse holds stock and order-routing can route.
 */
export async function seed(
  stack: StackHandle,
  stockLots: number,
  log: (line: string) => void,
): Promise<Partial<Seed> & { error?: string }> {
  const ops = tokenFor({ role: 'ops' });
  const coop = await expectStatus<{ id: string }>(
    201,
    'POST',
    stack.url('harvest-intake', '/v1/cooperatives'),
    ops,
    {
      name: 'Bench Apple Cooperative',
      county: COUNTY,
      province: 'Gansu',
      location: { lat: 34.19, lon: 105.18 },
    },
  );
  const managerToken = tokenFor({ role: 'coop_manager', coop: coop.id });
  const grower = await expectStatus<{ id: string }>(
    201,
    'POST',
    stack.url('harvest-intake', `/v1/cooperatives/${coop.id}/growers`),
    managerToken,
    { name: 'Bench Grower' },
  );
  const orchard = await expectStatus<{ id: string }>(
    201,
    'POST',
    stack.url('harvest-intake', `/v1/cooperatives/${coop.id}/orchards`),
    managerToken,
    {
      growerId: grower.id,
      name: 'Bench orchard',
      areaMu: 20,
      location: { lat: 34.13, lon: 105.12 },
      produce: 'apple',
      variety: 'Fuji',
    },
  );
  const base: Seed = {
    coopId: coop.id,
    growerId: grower.id,
    orchardId: orchard.id,
    managerToken,
    buyerToken: tokenFor({ role: 'buyer', buyer: 'BUYER-BENCH' }),
    stockKg: 0,
  };
  log(`[bench] seeded cooperative ${coop.id}, grower ${grower.id}, orchard ${orchard.id}`);

  // Stock: lots logged, graded by bands (no fruit measurements needed), received by the warehouse.
  try {
    const line = tokenFor({ role: 'grading_line', warehouses: [WAREHOUSE] });
    const lotIds: string[] = [];
    for (let i = 0; i < stockLots; i++) {
      const lot = await expectStatus<{ id: string }>(
        201,
        'POST',
        stack.url('harvest-intake', '/v1/lots'),
        managerToken,
        {
          ...lotLikeBody(i),
          cooperativeId: coop.id,
          growerId: grower.id,
          orchardId: orchard.id,
          quantityKg: 100_000,
        },
        { 'idempotency-key': randomUUID() },
      );
      lotIds.push(lot.id);
    }
    for (const lotId of lotIds) {
      await waitFor(
        async () =>
          (await call('GET', stack.url('grading', `/v1/lots/${lotId}/grading`), line)).status === 200
            ? true
            : undefined,
        `grading to know lot ${lotId}`,
        60_000,
      );
      await expectStatus(201, 'POST', stack.url('grading', `/v1/lots/${lotId}/grading`), line, {
        bands: [
          { grade: 'premium', quantityKg: 40_000 },
          { grade: 'grade_1', quantityKg: 35_000 },
          { grade: 'grade_2', quantityKg: 20_000 },
        ],
      });
    }
    const operator = tokenFor({ role: 'warehouse_operator', warehouses: [WAREHOUSE] });
    const received = await waitFor(
      async () => {
        const r = await call<{ items: Array<{ lotId: string; availableKg: number }> }>(
          'GET',
          stack.url('warehouse', `/v1/warehouses/${WAREHOUSE}/stock?produce=apple&limit=500`),
          operator,
        );
        const mine = r.status === 200 ? r.body.items.filter((i) => lotIds.includes(i.lotId)) : [];
        return mine.length >= lotIds.length * 3 ? mine : undefined;
      },
      'the warehouse to receive the graded sub-lots',
      60_000,
    );
    base.stockKg = received.reduce((s, i) => s + i.availableKg, 0);
    log(
      `[bench] seeded ${lotIds.length} graded lots: ${base.stockKg.toLocaleString('en-US')} kg in stock at ${WAREHOUSE}`,
    );
    return base;
  } catch (e) {
    return { ...base, error: errorText(e) };
  }
}

// ---------------------------------------------------------------------------------------------
// lots logged

export async function lotsLoad(
  cfg: BenchConfig,
  stack: StackHandle,
  s: Pick<Seed, 'coopId' | 'growerId' | 'orchardId' | 'managerToken'>,
  results: Results,
): Promise<void> {
  const fig = {
    key: 'firstmile.lots',
    section: 'Firstmile' as const,
    label: 'lots logged (POST /v1/lots → 201)',
    unit: 'lots/s',
  };
  const pub = {
    key: 'firstmile.lots.published',
    section: 'Firstmile' as const,
    label: 'lots logged, durable and published (LotLoggedV1 on harvest.lots)',
    unit: 'lots/s',
  };
  const writes = {
    key: 'firstmile.lots.writes',
    section: 'Firstmile' as const,
    label: 'store writes while logging lots',
    unit: 'writes/s',
  };
  const kafka = kafkaClient(cfg);
  const conn = await mongoose.createConnection(cfg.mongoUrl, { dbName: 'firstmile_harvest' }).asPromise();
  try {
    const lots = conn.db?.collection('lots');
    if (!lots) throw new Error('no harvest database');
    const storedBefore = await withTimeout(lots.countDocuments({}), 15_000, 'counting lots');
    const timedBefore = await timings(stack, SERVICES);
    const eventsBefore = await eventsWritten(kafka, ['harvest.lots']);
    let i = 0;
    const body = () =>
      JSON.stringify({
        ...lotLikeBody(i++),
        cooperativeId: s.coopId,
        growerId: s.growerId,
        orchardId: s.orchardId,
      });
    const started = performance.now();
    const r = await autocannon({
      url: stack.url('harvest-intake', '/v1/lots'),
      connections: cfg.connections,
      duration: cfg.httpSeconds,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${s.managerToken}` },
          setupRequest: (req) => ({
            ...req,
            body: body(),
            headers: { ...req.headers, 'idempotency-key': randomUUID() },
          }),
        },
      ],
    });
    const ok = r.statusCodeStats?.['201']?.count ?? r['2xx'];
    const failed = r.non2xx + r.errors + r.timeouts;
    results.set({
      ...fig,
      value: ok / r.duration,
      detail: `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms; ${ok.toLocaleString('en-US')} created, ${failed} failed, ${cfg.connections} connections, Idempotency-Key on each`,
    });
    out(
      `[bench]   lots ${Math.round(ok / r.duration)} /s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms)`,
    );

    // Published: the relay sends after the 201; wait until every created lot's event is on the topic.
    const published = await waitFor(
      async () => {
        const n = (await eventsWritten(kafka, ['harvest.lots'])) - eventsBefore;
        return n >= ok ? n : undefined;
      },
      'every LotLoggedV1 to be published',
      45_000,
      200,
    ).catch(() => undefined);
    const publishedS = (performance.now() - started) / 1000;
    lotStoreRows(timedBefore, await timings(stack, SERVICES), ok, results);
    // Per lot: the lot+outbox insert (also the Idempotency-Key's claim and answer), outbox marked sent (relay bulkWrite).
    results.set({
      ...writes,
      value: (ok * 2) / r.duration,
      detail: '2 document writes per lot: lot+outbox insert (the Idempotency-Key\'s claim and answer too), outbox marked sent',
    });
    const stored = await withTimeout(
      lots.countDocuments({}),
      15_000,
      'counting the lots in firstmile_harvest',
    ).then(
      (n) => `${(n - storedBefore).toLocaleString('en-US')} lots stored`,
      (e: unknown) => errorText(e),
    );
    if (published === undefined) {
      results.miss(
        pub,
        `only ${(await eventsWritten(kafka, ['harvest.lots'])) - eventsBefore} of ${ok} LotLoggedV1 published 45 s after the load; ${stored}`,
      );
    } else {
      results.set({
        ...pub,
        value: ok / publishedS,
        detail: `${stored}, ${published.toLocaleString('en-US')} events, last one ${publishedS.toFixed(1)} s after the load began`,
      });
    }
  } catch (e) {
    results.miss(fig, errorText(e));
    results.miss(pub, errorText(e));
    results.miss(writes, errorText(e));
  } finally {
    await conn.close();
  }
}

// ---------------------------------------------------------------------------------------------
// orders routed

interface OrderView {
  id: string;
  status: string;
  placedAt?: string;
  routedAt?: string;
}

async function placeOrders(
  cfg: BenchConfig,
  stack: StackHandle,
  buyerToken: string,
  opts: { amount?: number; duration?: number; overallRate?: number },
) {
  const ids: string[] = [];
  const body = JSON.stringify(orderBody());
  const run = autocannon({
    url: stack.url('order-routing', '/v1/orders'),
    // autocannon paces each connection at overallRate/connections: keep at least one request per second per connection.
    connections: opts.overallRate
      ? Math.max(1, Math.min(cfg.connections, 16, Math.floor(opts.overallRate)))
      : cfg.connections,
    ...(opts.amount ? { amount: opts.amount } : {}),
    ...(opts.duration ? { duration: opts.duration } : {}),
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${buyerToken}` },
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } }),
        onResponse: (status, resBody) => {
          if (status === 202) ids.push((JSON.parse(resBody) as { id: string }).id);
        },
      },
    ],
  });
  // A burst is bounded in time too: a service that stops answering must not hold the run.
  const guard = setTimeout(() => run.stop(), ((opts.duration ?? 0) + 60) * 1000);
  try {
    return { ids, result: await run };
  } finally {
    clearTimeout(guard);
  }
}

/**
 * Waits until the `orders` topic holds a terminal event for every order (placed + routed /
 * backordered / rejected = 2 events each), or until it stops growing. Only Kafka's offsets are
 * read: the bench does not query the services' databases while they work.
 */
async function drained(
  kafka: Kafka,
  ordersBefore: number,
  placed: number,
  timeoutMs: number,
): Promise<{ complete: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stillSince = Date.now();
  while (Date.now() < deadline) {
    if ((await eventsWritten(kafka, ['orders'])) - ordersBefore >= 2 * placed) return { complete: true };
    // Stalled only when no topic moves: while orders wait for their reservations the orders topic
    // is quiet, but the warehouse's topics are not.
    const all = await eventsWritten(kafka);
    if (all !== last) {
      last = all;
      stillSince = Date.now();
    } else if (Date.now() - stillSince > 15_000) {
      return { complete: false };
    }
    await sleep(500);
  }
  return { complete: false };
}

/** GET every order (8 at a time), giving up after `budgetMs` so a stalled service cannot hang the run. */
async function readOrders(
  stack: StackHandle,
  buyerToken: string,
  ids: string[],
  budgetMs = 30_000,
): Promise<OrderView[]> {
  const until = Date.now() + budgetMs;
  const get = (id: string) =>
    call<OrderView>('GET', stack.url('order-routing', `/v1/orders/${id}`), buyerToken, undefined, {}, 5_000);
  if (ids.length > 0) {
    await get(ids[0]).catch(() => {
      throw new Error(
        `order-routing stopped answering GET /v1/orders/:id (5 s timeout) after the orders were placed`,
      );
    });
  }
  const views = await pool(ids, 8, async (id) => {
    if (Date.now() > until) return undefined;
    return (await get(id).catch(() => undefined))?.body;
  });
  const ok = views.filter((v): v is OrderView => Boolean(v && typeof v === 'object' && 'status' in v));
  if (ok.length < ids.length)
    out(`[bench]   read ${ok.length} of ${ids.length} orders back (the others failed or timed out)`);
  return ok;
}

/**
 * The services an order or a lot passes through on its way; insights, which follows every topic for
 * the ledger and EPCIS, is watched apart (its lag during the burst, `watchInsightsLag`).
 */
const PIPELINE: readonly ServiceName[] = ['harvest-intake', 'grading', 'warehouse', 'order-routing'];
const gaugeSum = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && !/group="[^"]*\.retry\.\d+"/.test(l))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);

/**
 * Waits until no service has consumer lag (retry groups aside: a retry waits by design) or an
 * outbox backlog; returns how long that took, or undefined after `timeoutMs`.
 */
async function pipelineAtRest(stack: StackHandle, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    let busy = 0;
    for (const service of PIPELINE) {
      const res = await fetch(stack.url(service, '/metrics')).catch(() => undefined);
      if (!res?.ok) {
        busy++;
        continue;
      }
      const text = await res.text();
      busy += gaugeSum(text, 'firstmile_consumer_lag') + gaugeSum(text, 'firstmile_outbox_backlog');
    }
    if (busy === 0) return Date.now() - started;
    await sleep(500);
  }
  return undefined;
}

/** A service's consumer lag (main groups; retry groups wait by design), Σ over topics and partitions; undefined when it does not answer. */
async function lagOf(stack: StackHandle, service: ServiceName | 'insights'): Promise<number | undefined> {
  const res = await fetch(stack.url(service, '/metrics')).catch(() => undefined);
  return res?.ok ? gaugeSum(await res.text(), 'firstmile_consumer_lag') : undefined;
}

/**
 * insights' consumer lag, sampled every second from `start` until `stop`: the read side (EPCIS, the
 * sales ledger) consumes every topic the burst writes to, so its lag says how far behind the
 * settlements and county figures fall under it.
 */
function watchInsightsLag(stack: StackHandle) {
  let peak: number | undefined;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const lag = await lagOf(stack, 'insights');
      if (lag !== undefined) {
        samples++;
        peak = Math.max(peak ?? 0, lag);
      }
      await sleep(1000);
    }
  })();
  return {
    async stop(): Promise<{ peak: number | undefined; samples: number }> {
      running = false;
      await loop;
      return { peak, samples };
    },
  };
}

/** Waits until insights has no consumer lag; how long that took, or undefined after `timeoutMs`. */
async function insightsCaughtUp(stack: StackHandle, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await lagOf(stack, 'insights')) === 0) return Date.now() - started;
    await sleep(500);
  }
  return undefined;
}

/** Σ and count of a service's handler, outbox and store-command histograms, by series, from its /metrics. */
type Sums = Map<string, { sum: number; count: number }>;
const TIMED =
  /^(firstmile_event_handler_duration_seconds|firstmile_event_delivery_delay_seconds|firstmile_outbox_publish_latency_seconds|firstmile_store_command_duration_seconds)_(sum|count)\{([^}]*)\} ([0-9.e+-]+)$/;
const STEP: Record<string, string> = {
  firstmile_event_handler_duration_seconds: 'handling',
  firstmile_event_delivery_delay_seconds: 'occurred → handled',
  firstmile_outbox_publish_latency_seconds: 'outbox → broker',
};
const label = (labels: string, name: string) => new RegExp(`${name}="([^"]+)"`).exec(labels)?.[1] ?? '?';

async function timings(stack: StackHandle, services: readonly ServiceName[]): Promise<Sums> {
  const sums: Sums = new Map();
  for (const service of services) {
    const res = await fetch(stack.url(service, '/metrics')).catch(() => undefined);
    if (!res?.ok) continue;
    for (const line of (await res.text()).split('\n')) {
      const m = TIMED.exec(line);
      if (!m || /outcome="error"/.test(m[3])) continue;
      const key = m[1].startsWith('firstmile_store')
        ? `${service} store ${label(m[3], 'collection')}.${label(m[3], 'command')}`
        : `${service} ${STEP[m[1]]} ${label(m[3], 'type').replace(/^firstmile\./, '')}`;
      const e = sums.get(key) ?? { sum: 0, count: 0 };
      if (m[2] === 'sum') e.sum += Number(m[4]);
      else e.count += Number(m[4]);
      sums.set(key, e);
    }
  }
  return sums;
}

/** What was timed between two readings, most time first. */
function timedBetween(before: Sums, after: Sums): Array<{ key: string; sum: number; count: number }> {
  return [...after]
    .map(([key, a]) => {
      const b = before.get(key) ?? { sum: 0, count: 0 };
      return { key, sum: a.sum - b.sum, count: a.count - b.count };
    })
    .filter((r) => r.count > 0)
    .sort((x, y) => y.sum - x.sum);
}

/**
 * Where an order's time goes at half rate, step by step, and how long each store command took (the
 * store's budget per order is the burst's): the latency target is about this load, and its steps
 * wait differently from a saturated burst's.
 */
function halfRateTimeRows(before: Sums, after: Sums, results: Results): void {
  for (const r of timedBetween(before, after)) {
    results.set({
      key: `half.${r.key.replace(/[^a-z0-9.]+/gi, '_')}`,
      section: 'Where an order spends its time at half rate',
      label: r.key,
      unit: 'ms',
      value: (r.sum / r.count) * 1000,
      detail: `mean of ${r.count.toLocaleString('en-US')}; ${r.sum.toFixed(1)} s in all`,
    });
  }
}

/**
 * What the burst of `orders` cost: per handler and outbox event type, the mean ms and the total of
 * seconds spent; per service, its store commands per order, by collection and command.
 */
function timeRows(before: Sums, after: Sums, orders: number, results: Results): void {
  const rows = timedBetween(before, after);
  const perService = new Map<string, { count: number; sum: number }>();
  for (const r of rows) {
    const store = r.key.split(' ')[1] === 'store';
    const id = `time.${r.key.replace(/[^a-z0-9.]+/gi, '_')}`;
    if (!store) {
      results.set({
        key: id,
        section: 'Where the order burst spends its time',
        label: r.key,
        unit: 'ms',
        value: (r.sum / r.count) * 1000,
        detail: `mean of ${r.count.toLocaleString('en-US')}; ${r.sum.toFixed(1)} s in all`,
      });
      continue;
    }
    const service = r.key.split(' ')[0];
    const total = perService.get(service) ?? { count: 0, sum: 0 };
    perService.set(service, { count: total.count + r.count, sum: total.sum + r.sum });
    if (r.count / orders < 0.05) continue;
    results.set({
      key: id,
      section: 'Store commands per order of the burst',
      label: r.key,
      unit: 'per order',
      value: r.count / orders,
      detail: `${r.count.toLocaleString('en-US')} in all, mean ${((r.sum / r.count) * 1000).toFixed(1)} ms`,
    });
  }
  const all = [...perService.values()].reduce((a, t) => ({ count: a.count + t.count, sum: a.sum + t.sum }), { count: 0, sum: 0 });
  results.set({
    key: 'store.all',
    section: 'Store commands per order of the burst',
    label: 'every service, every command (the per-order budget: docs/architecture.md)',
    unit: 'per order',
    value: all.count / orders,
    detail: `${all.count.toLocaleString('en-US')} commands, ${all.sum.toFixed(1)} s in the store; target ≤ 5`,
  });
  for (const [service, t] of perService) {
    results.set({
      key: `store.${service}`,
      section: 'Store commands per order of the burst',
      label: `${service}, every command`,
      unit: 'per order',
      value: t.count / orders,
      detail: `${t.count.toLocaleString('en-US')} commands, ${t.sum.toFixed(1)} s in the store`,
    });
  }
}

/**
 * What logging `lots` lots cost the store, from the services' command histograms: commands per lot
 * by service, collection and command (rows under 0.05 per lot left out), and per service in all.
 */
function lotStoreRows(before: Sums, after: Sums, lots: number, results: Results): void {
  const perService = new Map<string, { count: number; sum: number }>();
  for (const [key, a] of after) {
    if (key.split(' ')[1] !== 'store') continue;
    const b = before.get(key) ?? { sum: 0, count: 0 };
    const r = { count: a.count - b.count, sum: a.sum - b.sum };
    if (r.count <= 0) continue;
    const service = key.split(' ')[0];
    const total = perService.get(service) ?? { count: 0, sum: 0 };
    perService.set(service, { count: total.count + r.count, sum: total.sum + r.sum });
    if (r.count / lots < 0.05) continue;
    results.set({
      key: `lots.${key.replace(/[^a-z0-9.]+/gi, '_')}`,
      section: 'Store commands per lot logged',
      label: key,
      unit: 'per lot',
      value: r.count / lots,
      detail: `${r.count.toLocaleString('en-US')} in all, mean ${((r.sum / r.count) * 1000).toFixed(1)} ms`,
    });
  }
  for (const [service, t] of perService) {
    results.set({
      key: `lots.store.${service}`,
      section: 'Store commands per lot logged',
      label: `${service}, every command`,
      unit: 'per lot',
      value: t.count / lots,
      detail: `${t.count.toLocaleString('en-US')} commands, ${t.sum.toFixed(1)} s in the store, from the load's start until every lot was published`,
    });
  }
}

const ms = (a?: string, b?: string) => (a && b ? new Date(b).getTime() - new Date(a).getTime() : Number.NaN);

export async function ordersLoad(
  cfg: BenchConfig,
  stack: StackHandle,
  s: Pick<Seed, 'buyerToken' | 'stockKg'>,
  results: Results,
  setPhase: (p: string) => void,
  timeLeft: () => number,
): Promise<void> {
  const max = {
    key: 'firstmile.orders',
    section: 'Firstmile' as const,
    label: 'orders routed end to end (placed → routed, burst)',
    unit: 'orders/s',
  };
  const accept = {
    key: 'firstmile.orders.accepted',
    section: 'Firstmile' as const,
    label: 'orders accepted (POST /v1/orders → 202)',
    unit: 'orders/s',
  };
  const events = {
    key: 'firstmile.events',
    section: 'Firstmile' as const,
    label: 'pipeline events written while routing (all topics)',
    unit: 'events/s',
  };
  const half = {
    key: 'firstmile.orders.half',
    section: 'Firstmile' as const,
    label: 'accept→routed latency at half the maximum rate (p50)',
    unit: 'ms',
  };
  const half99 = {
    key: 'firstmile.orders.half.p99',
    section: 'Firstmile' as const,
    label: 'accept→routed latency at half the maximum rate (p99)',
    unit: 'ms',
  };
  const kafka = kafkaClient(cfg);
  try {
    // Warm-up and check: one order must route before anything is measured.
    const probe = await expectStatus<{ id: string }>(
      202,
      'POST',
      stack.url('order-routing', '/v1/orders'),
      s.buyerToken,
      orderBody(),
      { 'idempotency-key': randomUUID() },
    );
    const first = await waitFor(
      async () => {
        const r = await call<OrderView>(
          'GET',
          stack.url('order-routing', `/v1/orders/${probe.id}`),
          s.buyerToken,
        );
        return r.status === 200 && r.body.status !== 'received' ? r.body : undefined;
      },
      'a first order to be routed',
      60_000,
    );
    if (first.status !== 'routed')
      throw new Error(
        `a first order ended ${first.status}, not routed: ${JSON.stringify(first).slice(0, 300)}`,
      );

    // Maximum: a burst of orders as fast as they are accepted; routed/s from the orders' own timestamps.
    setPhase('orders-max');
    // Sized so the burst drains within the run: the half-rate load behind it must find the pipeline
    // empty, or it measures the queue the burst left, not the latency of an order. BENCH_ORDERS overrides.
    const burst = cfg.quick ? 150 : Number(process.env['BENCH_ORDERS'] ?? 3000);
    const eventsBefore = await eventsWritten(kafka);
    const ordersBefore = await eventsWritten(kafka, ['orders']);
    const timedBefore = await timings(stack, SERVICES);
    const lagWatch = watchInsightsLag(stack);
    const t0 = performance.now();
    const placed = await placeOrders(cfg, stack, s.buyerToken, { amount: burst });
    results.set({
      ...accept,
      value: placed.ids.length / placed.result.duration,
      detail: `p50 ${placed.result.latency.p50} ms, p99 ${placed.result.latency.p99} ms; ${placed.ids.length} accepted, ${placed.result.non2xx + placed.result.errors} failed`,
    });
    const d = await drained(kafka, ordersBefore, placed.ids.length, 150_000);
    const drainS = (performance.now() - t0) / 1000;
    timeRows(timedBefore, await timings(stack, SERVICES), placed.ids.length, results);
    const eventsDelta = (await eventsWritten(kafka)) - eventsBefore;
    const views = await readOrders(stack, s.buyerToken, placed.ids);
    const routed = views.filter((v) => v.status === 'routed' && v.placedAt && v.routedAt);
    const byStatus = views.reduce<Record<string, number>>(
      (acc, v) => ({ ...acc, [v.status]: (acc[v.status] ?? 0) + 1 }),
      {},
    );
    if (routed.length === 0) throw new Error(`no order of the burst was routed: ${JSON.stringify(byStatus)}`);
    const firstPlaced = Math.min(...routed.map((v) => new Date(v.placedAt ?? 0).getTime()));
    const lastRouted = Math.max(...routed.map((v) => new Date(v.routedAt ?? 0).getTime()));
    const routedPerS = routed.length / ((lastRouted - firstPlaced) / 1000);
    const lat = routed.map((v) => ms(v.placedAt, v.routedAt));
    results.set({
      ...max,
      value: routedPerS,
      detail: `${routed.length} of ${placed.ids.length} routed (${Object.entries(byStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}${d.complete ? '' : '; the orders topic stopped short of a final event per order'}); accept→routed under the burst p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms`,
    });
    results.set({
      ...events,
      value: eventsDelta / drainS,
      detail: `${eventsDelta.toLocaleString('en-US')} events over ${drainS.toFixed(1)} s (burst until every order left 'received'), ~${(eventsDelta / placed.ids.length).toFixed(1)} per order`,
    });
    out(`[bench]   orders routed ${routedPerS.toFixed(0)} /s; ${Math.round(eventsDelta / drainS)} events/s`);

    // Half the maximum, steady: the latency an order sees when the system is not saturated. The
    // burst's orders are routed, but their confirmations and shipments may still be on their way:
    // those would be the half-rate orders' queue, not their latency.
    const settled = await pipelineAtRest(stack, 60_000);
    out(`[bench]   pipeline at rest after the burst ${settled ? `in ${(settled / 1000).toFixed(1)} s` : 'not within 60 s'}`);
    const caughtUp = await insightsCaughtUp(stack, 30_000);
    const lag = await lagWatch.stop();
    const lagDetail = `${lag.samples} samples, one a second, from the burst's first order; caught up ${
      caughtUp === undefined ? 'not within 30 s' : `${(caughtUp / 1000).toFixed(1)} s`
    } after the four pipeline services were at rest (retry groups aside)`;
    results.set({
      key: 'firstmile.insights.lag',
      section: 'Firstmile',
      label: "insights' consumer lag under the order burst (peak records)",
      unit: 'records',
      ...(lag.peak === undefined ? { missing: `insights did not answer /metrics (${lagDetail})` } : { value: lag.peak, detail: lagDetail }),
    });
    out(`[bench]   insights' consumer lag under the burst: peak ${lag.peak ?? 'unknown'} records; ${lagDetail}`);
    if (timeLeft() < cfg.httpSeconds * 1000 + 100_000)
      throw new Error('out of time for the half-rate load (the burst took too long to drain)');
    setPhase('orders-half');
    // BENCH_HALF_RATE fixes it, so that runs whose bursts differ compare their latency at one load.
    const rate = Number(process.env['BENCH_HALF_RATE'] ?? 0) || Math.max(1, Math.floor(routedPerS / 2));
    const ordersBefore2 = await eventsWritten(kafka, ['orders']);
    const timedBefore2 = await timings(stack, SERVICES);
    const steady = await placeOrders(cfg, stack, s.buyerToken, {
      duration: cfg.httpSeconds,
      overallRate: rate,
    });
    const d2 = await drained(kafka, ordersBefore2, steady.ids.length, 45_000);
    halfRateTimeRows(timedBefore2, await timings(stack, SERVICES), results);
    const v2 = await readOrders(stack, s.buyerToken, steady.ids);
    const lat2 = v2.filter((v) => v.status === 'routed').map((v) => ms(v.placedAt, v.routedAt));
    if (lat2.length === 0) throw new Error('no order routed at half rate');
    const detail = `${rate} orders/s offered for ${cfg.httpSeconds} s; ${lat2.length} of ${steady.ids.length} routed${d2.complete ? '' : ' (not every order reached a final state)'}; from the order's placedAt/routedAt`;
    results.set({ ...half, value: percentile(lat2, 50), detail });
    results.set({ ...half99, value: percentile(lat2, 99), detail: `max ${Math.max(...lat2)} ms` });
    out(
      `[bench]   at ${rate}/s: accept→routed p50 ${percentile(lat2, 50)} ms, p99 ${percentile(lat2, 99)} ms`,
    );
  } catch (e) {
    for (const f of [max, accept, events, half, half99]) results.miss(f, errorText(e));
  }
}
