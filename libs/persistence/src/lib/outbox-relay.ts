import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Model } from 'mongoose';
import type { EventPublisher, OutboundEvent } from '@firstmile/messaging';
import { gauge, histogram, untraced } from '@firstmile/telemetry';
import { outboxSignal, type OutboxFields } from './outbox';

/** Statements per bulk write; see the FerretDB note where it is used. */
const BULK_CHUNK = 25;
/** Hinted documents read at once. */
const FETCH_CONCURRENCY = 16;

type PendingDoc = { _id: unknown; outbox: OutboundEvent[] };

export interface OutboxRelayOptions {
  /** How often every collection is scanned, for events no write of this process announced. */
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
  /** Documents this process staged events in and the relay has not looked at yet, per collection. */
  private readonly hinted = new Map<string, Set<unknown>>();
  /** When the last scan of every collection started; 0 = scan at the next pass. */
  private scannedAt = 0;
  private readonly onSignal = (collection?: string, ids?: unknown[]) => {
    if (collection && this.collections.has(collection)) {
      if (ids) {
        const set = this.hinted.get(collection) ?? new Set<unknown>();
        for (const id of ids) set.add(id);
        this.hinted.set(collection, set);
      } else this.scannedAt = 0;
    }
    this.wake?.();
  };
  private readonly collections: Set<string>;

  constructor(
    private readonly models: Model<OutboxFields>[],
    private readonly publisher: EventPublisher,
    private readonly options: OutboxRelayOptions,
  ) {
    this.collections = new Set(models.map((m) => m.collection.collectionName));
  }

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

  /**
   * One pass over every model, scanning each collection for pending events; returns how many
   * events left. Concurrent callers share one pass.
   */
  async drain(): Promise<number> {
    await this.draining?.catch(() => undefined);
    this.scannedAt = 0;
    return this.pass();
  }

  private pass(): Promise<number> {
    // A pass belongs to no request: each event's publish span continues the trace stored with it.
    this.draining ??= untraced(() => this.relay()).finally(() => (this.draining = undefined));
    return this.draining;
  }

  /**
   * Publishes what the hinted documents hold; every `pollMs` (and after a write that named no
   * document) it scans the collections instead, for what other processes, or this one before a
   * restart, staged. A scan reads the whole collection on FerretDB, where only `_id` is indexed,
   * so the hints keep a busy relay's cost proportional to what it publishes.
   */
  private async relay(): Promise<number> {
    const scan = Date.now() - this.scannedAt >= this.options.pollMs;
    if (scan) this.scannedAt = Date.now();
    let published = 0;
    for (const model of this.models) {
      const hinted = this.hinted.get(model.collection.collectionName);
      this.hinted.delete(model.collection.collectionName);
      let docs: PendingDoc[];
      if (scan) {
        docs = await model.find({ outboxSize: { $gt: 0 } }, { outbox: 1 }).limit(this.options.batchSize).lean<PendingDoc[]>();
        // A full batch may leave more behind: scan again at once.
        if (docs.length === this.options.batchSize) this.scannedAt = 0;
      } else {
        if (!hinted?.size) continue;
        docs = [];
        const ids = [...hinted];
        for (let i = 0; i < ids.length; i += FETCH_CONCURRENCY) {
          const found = await Promise.all(
            ids.slice(i, i + FETCH_CONCURRENCY).map((_id) => model.findOne({ _id, outboxSize: { $gt: 0 } }, { outbox: 1 }).lean<PendingDoc>()),
          );
          for (const d of found) if (d) docs.push(d);
        }
      }
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
      published += events.length;
    }
    return published;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let more = false;
      try {
        more = (await this.pass()) > 0 || this.hinted.size > 0;
        failures = 0;
      } catch (err) {
        failures++;
        // What was hinted is found by the next scan.
        this.scannedAt = 0;
        this.logger.warn(`outbox relay pass failed (${failures}): ${String(err)}`);
      }
      if (!more && this.running) {
        const untilScan = Math.max(0, this.scannedAt + this.options.pollMs - Date.now());
        await this.sleep(failures ? Math.min(5000, 200 * 2 ** failures) : untilScan);
      }
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
