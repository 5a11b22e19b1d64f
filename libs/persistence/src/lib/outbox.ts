import { EventEmitter } from 'node:events';
import { Document, type Model, Schema, type UpdateQuery } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';

/**
 * Transactional outbox kept inside the aggregate document: the state change and the events it
 * causes are ONE single-document write, so no multi-document transaction is ever needed (and a
 * standalone MongoDB or FerretDB is enough). The relay publishes pending events and pulls them.
 */
export interface OutboxFields {
  outbox: OutboundEvent[];
  /** Pending events; an indexed number is cheaper to scan for than a non-empty array. */
  outboxSize: number;
}

const OutboundEventSchema = new Schema<OutboundEvent>(
  {
    id: { type: String, required: true },
    type: { type: String, required: true },
    topic: { type: String, required: true },
    key: { type: String, required: true },
    source: { type: String, required: true },
    time: { type: String, required: true },
    subject: String,
    data: { type: Schema.Types.Mixed, required: true },
    traceparent: String,
    tracestate: String,
    stagedAt: Number,
  },
  { _id: false, minimize: false },
);

/**
 * Tells the relay which documents a write of this process staged events in: `('staged', collection,
 * ids, outboxes?)`, ids undefined when the write did not say (the relay then scans). Publishing
 * neither waits for the next poll nor scans the collection for what this process just wrote. An
 * insert (one `save` or an `insertMany`) also hands over each new document's whole outbox as it was
 * stored, `outboxes[i]` for `ids[i]`, so the relay need not read it back.
 */
export const outboxSignal = new EventEmitter().setMaxListeners(100);

type StagingUpdate = { $push?: { outbox?: unknown }; $setOnInsert?: { outboxSize?: number } } | null;
type InsertedDoc = { outboxSize?: number; _id: unknown; outbox?: OutboundEvent[]; toBSON?(): { outbox?: OutboundEvent[] } };

/** A filter's `_id` when it names one document (a string or an ObjectId), not a condition. */
const plainId = (id: unknown): unknown =>
  typeof id === 'string' || (typeof id === 'object' && id !== null && typeof (id as { toHexString?: unknown }).toHexString === 'function') ? id : undefined;

const stagesEvents = (update: StagingUpdate) => Boolean(update?.$push?.outbox || update?.$setOnInsert?.outboxSize);

const staged = (collection: string, ids?: unknown[], outboxes?: Array<OutboundEvent[] | undefined>) =>
  outboxSignal.emit('staged', collection, ids, outboxes);

/** New documents with events: their ids and outboxes as stored (toBSON is what the insert sent: the very entries a $pullAll must match). */
function handOver(collection: string, docs: InsertedDoc[]): void {
  const fresh = docs.filter((d) => d?.outboxSize);
  if (fresh.length) staged(collection, fresh.map((d) => d._id), fresh.map((d) => (d.toBSON ? d.toBSON().outbox : d.outbox)));
}

/** Adds the outbox to an aggregate's schema. */
export function outboxPlugin(schema: Schema): void {
  schema.add({ outbox: { type: [OutboundEventSchema], default: [] }, outboxSize: { type: Number, default: 0 } });
  // Serves the relay's scan: { outboxSize: { $gt: 0 } }.
  schema.index({ outboxSize: 1 });
  schema.pre('save', function (this: { isNew: boolean; $locals: Record<string, unknown> }) {
    this.$locals['outboxInsert'] = this.isNew;
  });
  schema.post('save', function (doc: InsertedDoc & { collection: { collectionName: string }; $locals: Record<string, unknown> }) {
    if (!doc.outboxSize) return;
    if (doc.$locals['outboxInsert']) handOver(doc.collection.collectionName, [doc]);
    else staged(doc.collection.collectionName, [doc._id]);
  });
  schema.post('insertMany', function (this: { collection: { collectionName: string } }, docs: InsertedDoc[]) {
    if (Array.isArray(docs)) handOver(this.collection.collectionName, docs);
    // A raw result (`rawResult: true`) names no document: the relay scans at once instead.
    else staged(this.collection.collectionName);
  } as never);
  // An unordered insertMany that failed for some documents wrote the others (group commit: a
  // duplicate Idempotency-Key beside new lots): their events go now, not at the next scan.
  schema.post('insertMany', function (
    this: { collection: { collectionName: string } },
    err: { insertedDocs?: InsertedDoc[]; results?: unknown[]; name?: string },
    _res: unknown,
    next: (err: unknown) => void,
  ) {
    const inserted =
      err?.insertedDocs ?? (err?.name === 'MongooseBulkWriteError' && Array.isArray(err.results) ? (err.results.filter((r) => r instanceof Document) as InsertedDoc[]) : []);
    handOver(this.collection.collectionName, inserted);
    next(err);
  } as never);
  schema.post(['updateOne', 'findOneAndUpdate'], function (this: {
    getUpdate(): StagingUpdate;
    getFilter(): { _id?: unknown };
    model: { collection: { collectionName: string } };
  }) {
    if (!stagesEvents(this.getUpdate())) return;
    const id = plainId(this.getFilter()._id);
    staged(this.model.collection.collectionName, id === undefined ? undefined : [id]);
  });
}

/** Adds events to an update, in the same write. */
export function withEvents<T>(update: UpdateQuery<T>, events: OutboundEvent[]): UpdateQuery<T> {
  if (events.length === 0) return update;
  const u = update as Record<string, Record<string, unknown> | undefined>;
  return {
    ...update,
    $push: { ...u['$push'], outbox: { $each: events } },
    $inc: { ...u['$inc'], outboxSize: events.length },
  } as UpdateQuery<T>;
}

/**
 * Events as an update's `withEvents` stores them: cast by the aggregate's schema, as the update
 * casts them (field order, types), so they are the very entries a `$pullAll` must match. What a
 * write hands the relay with `outboxSignal` (an insert hands over its document's `toBSON()`).
 */
export function storedEvents<T extends OutboxFields>(model: Model<T>, events: OutboundEvent[]): OutboundEvent[] {
  const doc = new model({ outbox: events }) as unknown as { toBSON(): { outbox: OutboundEvent[] } };
  return doc.toBSON().outbox;
}

/** The outbox fields of a new aggregate document. */
export const initialOutbox = (events: OutboundEvent[]): OutboxFields => ({ outbox: events, outboxSize: events.length });

/**
 * Idempotent consumers: the ids of the events a document has absorbed live in the document,
 * so "apply the effect" and "remember the event" are one write and a redelivery matches nothing.
 */
export const notYetApplied = (eventId: string) => ({ appliedEvents: { $ne: eventId } });

export function withApplied<T>(update: UpdateQuery<T>, eventId: string): UpdateQuery<T> {
  const u = update as Record<string, Record<string, unknown> | undefined>;
  return { ...update, $push: { ...u['$push'], appliedEvents: eventId } } as UpdateQuery<T>;
}

export function appliedEventsPlugin(schema: Schema): void {
  schema.add({ appliedEvents: { type: [String], default: [] } });
}
