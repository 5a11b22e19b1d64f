import { Counter, Gauge, type GaugeConfiguration, Histogram, type Metric, register } from 'prom-client';

/**
 * Prometheus metrics on prom-client's default registry: the one `@willsoto/nestjs-prometheus`
 * serves at /metrics (with the `service` default label). Get-or-create, because a module may be
 * loaded by several Nest apps in one process (integration tests) and prom-client refuses a second
 * metric of the same name.
 */
function getOrCreate<M extends Metric>(name: string, create: () => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? create();
}

export function counter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return getOrCreate(name, () => new Counter<L>({ name, help, labelNames }));
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = LATENCY_BUCKETS_SECONDS,
): Histogram<L> {
  return getOrCreate(name, () => new Histogram<L>({ name, help, labelNames, buckets }));
}

/**
 * How often a gauge's `collect` may run. A collect reads from elsewhere (every outbox collection, the
 * broker's offsets of every group): run on every scrape, a flood of scrapes of the public /metrics
 * would be a flood of those reads. Set once at start-up (METRICS_COLLECT_INTERVAL_MS).
 */
export const gaugeCollection = { minIntervalMs: 5_000 };

/**
 * A gauge; `collect` (may be async), for values read from somewhere else, runs on a scrape at most
 * once per `gaugeCollection.minIntervalMs`: scrapes meanwhile get the values it set last, and scrapes
 * while it runs wait for that one run. Such a value (a group's lag, a collection's backlog) is the
 * same whichever replica reads it, so when REPLICAS > 1 sums the workers' metrics it takes the
 * largest, not the sum; a gauge of the process's own state is summed.
 */
export function gauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  collect?: GaugeConfiguration<L>['collect'],
): Gauge<L> {
  return getOrCreate(
    name,
    () => new Gauge<L>({ name, help, labelNames, ...(collect ? { collect: atMostEvery(collect), aggregator: 'max' as const } : {}) }),
  );
}

function atMostEvery<L extends string>(collect: NonNullable<GaugeConfiguration<L>['collect']>): NonNullable<GaugeConfiguration<L>['collect']> {
  let running: Promise<void> | undefined;
  let last = Number.NEGATIVE_INFINITY;
  return function (this: Gauge<L>) {
    if (running) return running;
    if (Date.now() - last < gaugeCollection.minIntervalMs) return;
    last = Date.now();
    const run = Promise.resolve(collect.call(this));
    running = run.finally(() => {
      running = undefined;
      last = Date.now();
    });
    return running;
  };
}

/** Seconds; from a fast Mongo write (5 ms) to a relay that waited out a broker outage (1 min). */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Runs `fn` and observes its duration in seconds, with labels known only once it settled. */
export async function timed<T, L extends string>(
  h: Histogram<L>,
  fn: () => Promise<T>,
  labels: (outcome: 'ok' | 'error') => Partial<Record<L, string>>,
): Promise<T> {
  const end = h.startTimer();
  try {
    const value = await fn();
    end(labels('ok'));
    return value;
  } catch (err) {
    end(labels('error'));
    throw err;
  }
}

/**
 * Domain counters the services increment where the outcome is decided, e.g.
 * `DomainMetrics.reservations().inc({ outcome: 'reserved' })`. Created on first use, so a service
 * that never reserves does not export an empty series.
 */
export const DomainMetrics = {
  /** warehouse: one per ReserveStockV1 handled; outcome reserved | insufficient_stock | unknown_stock | expires_too_soon. */
  reservations: () =>
    counter('firstmile_reservations_total', 'Stock reservation requests by outcome (warehouse).', [
      'outcome',
    ] as const),
  /** warehouse: reservations released; reason expired | requested. */
  reservationReleases: () =>
    counter('firstmile_reservation_releases_total', 'Reservations released, by reason (warehouse).', [
      'reason',
    ] as const),
  /** order-routing: one per order reaching a routing outcome; outcome routed | backordered | rejected. */
  routingOutcomes: () =>
    counter('firstmile_routing_outcomes_total', 'Orders by routing outcome (order-routing).', [
      'outcome',
    ] as const),
  /** grading: lots graded, by produce and standard. */
  lotsGraded: () => counter('firstmile_lots_graded_total', 'Lots graded (grading).', ['produce'] as const),
};
