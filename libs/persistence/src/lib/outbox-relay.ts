import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Model } from 'mongoose';
import type { EventPublisher, OutboundEvent } from '@firstmile/messaging';
import { gauge, histogram, untraced } from '@firstmile/telemetry';
import { outboxSignal, type OutboxFields } from './outbox';

/** Statements per bulk write; see the FerretDB note where it is used. */
const BULK_CHUNK = 25;
/** Documents pulled at once: ids in one `updateMany` (one statement, so not bound by BULK_CHUNK). */
const PULL_CHUNK = 100;
/** Hinted documents read with one `find` (by `_id $in`, which the store serves from its `_id` index). */
const FETCH_CHUNK = 200;
/** Published events whose pull may lag behind before publishing waits for it. */
const MAX_UNPULLED = 10_000;
/** Pulled event ids remembered, newest kept (see `pulledRecently`). */
const PULLED_REMEMBERED = 10_000;

type PendingDoc = { _id: unknown; outbox: OutboundEvent[] };
/** Published entries of one document, to pull from its outbox. */
type Pull = { model: Model<OutboxFields>; _id: unknown; outbox: OutboundEvent[] };

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
 *
 * The pulls run beside the publishing, not in its way: a pull rewrites the document, the slowest
 * step by far on FerretDB, and an event waiting for the previous pass's pulls waited seconds in a
 * burst. Published entries are remembered until pulled, so a pass that reads the document again
 * in between does not publish them twice.
 */
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private draining?: Promise<number>;
  /**
   * Documents this process staged events in and the relay has not looked at yet, per collection,
   * with the whole outbox when an insert handed it over (null: read the document).
   */
  private readonly hinted = new Map<string, Map<unknown, OutboundEvent[] | null>>();
  /** When the last scan of every collection started; 0 = scan at the next pass. */
  private scannedAt = 0;
  private readonly onSignal = (collection?: string, ids?: unknown[], outboxes?: Array<OutboundEvent[] | undefined>) => {
    if (collection && this.collections.has(collection)) {
      if (ids) {
        const docs = this.hinted.get(collection) ?? new Map<unknown, OutboundEvent[] | null>();
        // An insert's outbox is the document's whole outbox only while nothing else was staged in it.
        ids.forEach((id, i) => docs.set(id, outboxes?.[i] && !docs.has(id) ? (outboxes[i] as OutboundEvent[]) : null));
        this.hinted.set(collection, docs);
      } else this.scannedAt = 0;
    }
    this.wake?.();
  };
  private readonly collections: Set<string>;
  /** Published and not yet pulled: event id → its collection. */
  private readonly unpulled = new Map<string, string>();
  /**
   * Recently pulled: what a pass holds may be older than a pull that finished since. A read may
   * have started before it; an insert's outbox may reach the relay after a scan already published
   * and pulled it. Publishing such an entry again would also pull it twice (and count it down
   * twice). A pulled id never comes back, so remembering more is only memory.
   */
  private readonly pulledRecently = new Set<string>();
  private readonly pulls: Pull[] = [];
  private pulling?: Promise<void>;

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
    await this.pulled();
  }

  /** Events waiting per collection: Σ outboxSize over the documents that have any, less those published and not yet pulled. */
  async backlog(): Promise<Array<{ collection: string; pending: number }>> {
    return Promise.all(
      this.models.map(async (model) => {
        const collection = model.collection.collectionName;
        const [row] = await model
          .aggregate<{ n: number }>([{ $match: { outboxSize: { $gt: 0 } } }, { $group: { _id: null, n: { $sum: '$outboxSize' } } }])
          .exec();
        let unpulled = 0;
        for (const c of this.unpulled.values()) if (c === collection) unpulled++;
        return { collection, pending: Math.max(0, (row?.n ?? 0) - unpulled) };
      }),
    );
  }

  /**
   * One pass over every model, scanning each collection for pending events, and the pulls of what
   * it published; returns how many events left. Concurrent callers share one pass.
   */
  async drain(): Promise<number> {
    await this.draining?.catch(() => undefined);
    this.scannedAt = 0;
    const published = await this.pass();
    await this.pulled();
    return published;
  }

  private pass(): Promise<number> {
    // A pass belongs to no request: each event's publish span continues the trace stored with it.
    this.draining ??= untraced(() => this.relay()).finally(() => (this.draining = undefined));
    return this.draining;
  }

  /**
   * Publishes what the hinted documents hold; every `pollMs` (and after a write that named no
   * document) it scans the collections as well, for what other processes, or this one before a
   * restart, staged. A scan reads the whole collection on FerretDB, where only `_id` is indexed,
   * so the hints keep a busy relay's cost proportional to what it publishes. A new document's
   * events are published as its insert handed them over: they are the first of its outbox, so
   * whatever was staged in it since comes after them.
   */
  private async relay(): Promise<number> {
    // Publishing runs ahead of the pulls, but not without bound.
    while (this.unpulled.size > MAX_UNPULLED && this.pulling) await this.pulling;
    const scan = Date.now() - this.scannedAt >= this.options.pollMs;
    if (scan) this.scannedAt = Date.now();
    let published = 0;
    for (const model of this.models) {
      const hinted = this.hinted.get(model.collection.collectionName);
      this.hinted.delete(model.collection.collectionName);
      if (!scan && !hinted?.size) continue;
      const docs: PendingDoc[] = [];
      let full = false;
      // Inserts handed over their outbox: only the others are read back.
      const ids: unknown[] = [];
      for (const [_id, outbox] of hinted ?? []) {
        if (outbox) docs.push({ _id, outbox });
        else ids.push(_id);
      }
      // One read per chunk, not one per document. The filter names only the ids: with
      // `outboxSize > 0` beside them SQLite may walk every pending document of the `{outboxSize}`
      // index instead; one whose outbox was emptied meanwhile is dropped here.
      for (let i = 0; i < ids.length; i += FETCH_CHUNK) {
        const found = await model.find({ _id: { $in: ids.slice(i, i + FETCH_CHUNK) } }, { outbox: 1 }).lean<PendingDoc[]>();
        for (const d of found) if (d.outbox?.length) docs.push(d);
      }
      // The hints are published whether or not this pass scans too: a scan reads only `batchSize`
      // documents, and in a burst those can all be documents whose pulls are still on their way,
      // so a hint left to the scan waited for the next one (OUTBOX_POLL_MS, 5 s) or longer.
      if (scan) {
        const scanned = await model.find({ outboxSize: { $gt: 0 } }, { outbox: 1 }).limit(this.options.batchSize).lean<PendingDoc[]>();
        full = scanned.length === this.options.batchSize;
        const known = new Set(docs.map((d) => String(d._id)));
        for (const d of scanned) if (!known.has(String(d._id))) docs.push(d);
      }
      // What an earlier pass published is only waiting for its pull.
      const fresh = docs
        .map((d) => ({ _id: d._id, outbox: d.outbox.filter((e) => !this.unpulled.has(e.id) && !this.pulledRecently.has(e.id)) }))
        .filter((d) => d.outbox.length > 0);
      if (fresh.length === 0) continue;
      // A full batch may leave more behind: scan again at once (not when it only met pending pulls).
      if (full) this.scannedAt = 0;
      const events = fresh.flatMap((d) => d.outbox);
      await this.publisher.publish(events);
      const now = Date.now();
      for (const e of events) publishLatency().observe({ type: e.type }, Math.max(0, now - (e.stagedAt ?? Date.parse(e.time))) / 1000);
      const collection = model.collection.collectionName;
      for (const d of fresh) {
        for (const e of d.outbox) this.unpulled.set(e.id, collection);
        this.pulls.push({ model, ...d });
      }
      this.pulling ??= this.pullAll().finally(() => (this.pulling = undefined));
      published += events.length;
    }
    return published;
  }

  private rememberPulled(id: string): void {
    this.pulledRecently.add(id);
    if (this.pulledRecently.size <= PULLED_REMEMBERED) return;
    for (const oldest of this.pulledRecently) {
      this.pulledRecently.delete(oldest);
      break;
    }
  }

  /** Until every published entry is pulled (or its pull failed, and a scan will find it again). */
  private async pulled(): Promise<void> {
    while (this.pulling) await this.pulling;
  }

  /**
   * Pulls what was published, one collection at a time, until none is left: mostly by emptying
   * whole outboxes with one `updateMany` per chunk (see `emptied`), the rest one document each.
   */
  private async pullAll(): Promise<void> {
    while (this.pulls.length > 0) {
      const model = this.pulls[0].model;
      const chunk: Pull[] = [];
      for (let i = 0; i < this.pulls.length && chunk.length < PULL_CHUNK; ) {
        if (this.pulls[i].model === model) chunk.push(...this.pulls.splice(i, 1));
        else i++;
      }
      let done = false;
      try {
        const left = await this.emptied(model, chunk);
        // In chunks: FerretDB 1.24 keeps every statement's SQLite cursor of one `update` command open
        // until the command ends and needs another connection per statement to write, so a command
        // of ~100 statements exhausts its pool of 100 and deadlocks the whole database.
        for (let i = 0; i < left.length; i += BULK_CHUNK) {
          await model.bulkWrite(
            left.slice(i, i + BULK_CHUNK).map((d) => ({
              updateOne: {
                // Entries are appended and removed in the order they were published, so "my first
                // entry is still there" means "all I published is still there": another relay (a
                // replica) that got here first makes this a no-op instead of a double decrement.
                filter: { _id: d._id, 'outbox.id': d.outbox[0].id },
                // $pullAll with the exact entries read: portable to FerretDB 1.x, where $pull with a
                // condition on a sub-document field silently removes nothing.
                update: { $pullAll: { outbox: d.outbox }, $inc: { outboxSize: -d.outbox.length } },
              },
            })) as never,
            { ordered: false },
          );
        }
        done = true;
      } catch (err) {
        // What stays in the outboxes is published again by the next scan; consumers dedupe.
        this.scannedAt = 0;
        this.wake?.();
        this.logger.warn(`outbox pull failed (the next scan publishes those ${chunk.length} document(s)' events again): ${String(err)}`);
      } finally {
        for (const d of chunk) {
          for (const e of d.outbox) {
            this.unpulled.delete(e.id);
            if (done) this.rememberPulled(e.id);
          }
        }
      }
    }
  }

  /**
   * Empties, with one `updateMany` per outbox length k, the outboxes that hold exactly k entries,
   * the last of them the last this relay published: `{'outbox.<k-1>.id': last, 'outbox.<k>':
   * {$exists: false}}`. A `$push` appends, so an outbox whose last entry is still `last` has had
   * nothing staged since this relay read it, and holds only entries it read then — every one of
   * them published, by this pass or an earlier one (an entry an earlier pass published and whose
   * pull is still on its way is left out of this pass's entries, not out of the outbox). Emptying
   * it (`outbox: [], outboxSize: 0`) removes nothing unpublished, counts nothing down twice (a
   * relay of another replica that pulled first changed the outbox, and then this matches nothing)
   * and keeps the order: the outbox is empty. A document it did not match (something staged since,
   * or another relay pulled part of it) is left to the per-document `$pullAll`: when a group did
   * not match in full, one read finds the documents that still hold their first published entry
   * (a count does not say which), and those are returned.
   *
   * On FerretDB one statement costs ~1 ms of CPU however many documents it touches (measured in
   * docs/architecture.md): 0.7-0.9 ms per document this way, against ~1.8 for a bulk write of one
   * `updateOne` each. The filter names `_id`s, which the store serves from its `_id` index; the
   * statement holds the collection's write lock for as long as it writes its documents.
   */
  private async emptied(model: Model<OutboxFields>, chunk: Pull[]): Promise<Pull[]> {
    const byLength = new Map<number, Pull[]>();
    for (const d of chunk) byLength.set(d.outbox.length, [...(byLength.get(d.outbox.length) ?? []), d]);
    const left: Pull[] = [];
    for (const [k, docs] of byLength) {
      const r = await model.updateMany(
        {
          _id: { $in: docs.map((d) => d._id) },
          // Event ids are unique: a document matches only its own last entry.
          [`outbox.${k - 1}.id`]: { $in: docs.map((d) => d.outbox[k - 1].id) },
          [`outbox.${k}`]: { $exists: false },
        },
        { $set: { outbox: [], outboxSize: 0 } },
      );
      if (r.modifiedCount === docs.length) continue;
      // Some had events staged since they were read (an order that moved on at once): one read says
      // which still hold what was published, and only those are pulled one by one.
      const still = await model
        .find({ _id: { $in: docs.map((d) => d._id) }, 'outbox.id': { $in: docs.map((d) => d.outbox[0].id) } }, { _id: 1 })
        .lean<Array<{ _id: unknown }>>();
      const ids = new Set(still.map((d) => String(d._id)));
      left.push(...docs.filter((d) => ids.has(String(d._id))));
    }
    return left;
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
