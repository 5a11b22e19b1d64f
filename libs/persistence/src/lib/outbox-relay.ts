import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Model } from 'mongoose';
import type { EventPublisher, OutboundEvent } from '@firstmile/messaging';
import { gauge, histogram, untraced } from '@firstmile/telemetry';
import { outboxSignal, type OutboxFields } from './outbox';

/** Statements per bulk write; see the FerretDB note where it is used. */
const BULK_CHUNK = 25;

export interface OutboxRelayOptions {
  /** Fallback poll when no write in this process signalled (another replica, a restart). */
  pollMs: number;
  batchSize: number;
}

/** Relays of this process whose backlog the gauge reports (one per service; more in a test process). */
const backlogSources = new Set<OutboxRelay>();

/** Pending events per collection, summed on each scrape (the relay's own index serves the $match). */
const outboxBacklog = () =>
  gauge('firstmile_outbox_backlog', 'Events staged in aggregates\' outboxes and not yet published, per collection.', ['collection'] as const, async function () {
    this.reset();
    const all = await Promise.all([...backlogSources].map((r) => r.backlog().catch(() => [])));
    for (const rows of all) for (const r of rows) this.inc({ collection: r.collection }, r.pending);
  });

/** From the moment a state change staged an event to the moment the broker acknowledged it. */
const publishLatency = () =>
  histogram('firstmile_outbox_publish_latency_seconds', 'Time from staging an event in an outbox to its publication, by event type.', ['type'] as const);

/**
 * Publishes what aggregates staged in their outbox, then pulls exactly what it published.
 * A crash between the two publishes again on restart: consumers dedupe by event id, so the effect
 * is exactly once. Events of one aggregate leave in the order they were staged.
 */
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private draining?: Promise<number>;
  private readonly onSignal = () => this.wake?.();

  constructor(
    private readonly models: Model<OutboxFields>[],
    private readonly publisher: EventPublisher,
    private readonly options: OutboxRelayOptions,
  ) {}

  onApplicationBootstrap(): void {
    outboxBacklog();
    publishLatency();
    backlogSources.add(this);
    this.running = true;
    outboxSignal.on('staged', this.onSignal);
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    backlogSources.delete(this);
    this.running = false;
    outboxSignal.off('staged', this.onSignal);
    this.wake?.();
    await this.loop;
  }

  /** Events waiting per collection: Σ outboxSize over the documents that have any. */
  async backlog(): Promise<Array<{ collection: string; pending: number }>> {
    return Promise.all(
      this.models.map(async (model) => {
        const [row] = await model
          .aggregate<{ n: number }>([{ $match: { outboxSize: { $gt: 0 } } }, { $group: { _id: null, n: { $sum: '$outboxSize' } } }])
          .exec();
        return { collection: model.collection.collectionName, pending: row?.n ?? 0 };
      }),
    );
  }

  /** One pass over every model; returns how many events left. Concurrent callers share one pass. */
  drain(): Promise<number> {
    // A pass belongs to no request: each event's publish span continues the trace stored with it.
    this.draining ??= untraced(() => this.pass()).finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async pass(): Promise<number> {
    let published = 0;
    for (const model of this.models) {
      const docs = await model
        .find({ outboxSize: { $gt: 0 } }, { outbox: 1 })
        .limit(this.options.batchSize)
        .lean<Array<{ _id: unknown; outbox: OutboundEvent[] }>>();
      if (docs.length === 0) continue;
      const events = docs.flatMap((d) => d.outbox);
      await this.publisher.publish(events);
      const now = Date.now();
      for (const e of events) publishLatency().observe({ type: e.type }, Math.max(0, now - (e.stagedAt ?? Date.parse(e.time))) / 1000);
      // In chunks: FerretDB 1.24 keeps every statement's SQLite cursor of one `update` command open
      // until the command ends and needs another connection per statement to write, so a command
      // of ~100 statements exhausts its pool of 100 and deadlocks the whole database.
      for (let i = 0; i < docs.length; i += BULK_CHUNK) {
        await model.bulkWrite(
          docs.slice(i, i + BULK_CHUNK).map((d) => ({
            updateOne: {
              // Entries are appended and only ever removed as a prefix, so "my first entry is still
              // there" means "all I read is still there": another relay (a replica) that got here
              // first makes this a no-op instead of a double decrement.
              filter: { _id: d._id, 'outbox.id': d.outbox[0].id },
              // $pullAll with the exact entries read: portable to FerretDB 1.x, where $pull with a
              // condition on a sub-document field silently removes nothing.
              update: { $pullAll: { outbox: d.outbox }, $inc: { outboxSize: -d.outbox.length } },
            },
          })) as never,
          { ordered: false },
        );
      }
      published += docs.reduce((n, d) => n + d.outbox.length, 0);
    }
    return published;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let more = false;
      try {
        more = (await this.drain()) > 0;
        failures = 0;
      } catch (err) {
        failures++;
        this.logger.warn(`outbox relay pass failed (${failures}): ${String(err)}`);
      }
      if (!more && this.running) await this.sleep(failures ? Math.min(5000, 200 * 2 ** failures) : this.options.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
