import { EventEmitter } from 'node:events';
import { Schema, type UpdateQuery } from 'mongoose';
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
 * ids, outbox?)`, ids undefined when the write did not say (the relay then scans). Publishing neither
 * waits for the next poll nor scans the collection for what this process just wrote. An insert also
 * hands over the new document's whole outbox as it was stored, so the relay need not read it back.
 */
export const outboxSignal = new EventEmitter().setMaxListeners(100);

type StagingUpdate = { $push?: { outbox?: unknown }; $setOnInsert?: { outboxSize?: number } } | null;

/** A filter's `_id` when it names one document (a string or an ObjectId), not a condition. */
const plainId = (id: unknown): unknown =>
  typeof id === 'string' || (typeof id === 'object' && id !== null && typeof (id as { toHexString?: unknown }).toHexString === 'function') ? id : undefined;

const stagesEvents = (update: StagingUpdate) => Boolean(update?.$push?.outbox || update?.$setOnInsert?.outboxSize);

/** Adds the outbox to an aggregate's schema. */
export function outboxPlugin(schema: Schema): void {
  schema.add({ outbox: { type: [OutboundEventSchema], default: [] }, outboxSize: { type: Number, default: 0 } });
  // Serves the relay's scan: { outboxSize: { $gt: 0 } }.
  schema.index({ outboxSize: 1 });
  const staged = (collection: string, ids?: unknown[], outbox?: OutboundEvent[]) => outboxSignal.emit('staged', collection, ids, outbox);
  schema.pre('save', function (this: { isNew: boolean; $locals: Record<string, unknown> }) {
    this.$locals['outboxInsert'] = this.isNew;
  });
  schema.post('save', function (doc: {
    outboxSize?: number;
    _id: unknown;
    collection: { collectionName: string };
    $locals: Record<string, unknown>;
    toBSON(): { outbox?: OutboundEvent[] };
  }) {
    if (!doc.outboxSize) return;
    // toBSON is what the insert sent: the very entries a $pullAll must match.
    staged(doc.collection.collectionName, [doc._id], doc.$locals['outboxInsert'] ? doc.toBSON().outbox : undefined);
  });
  const insertedMany = function (this: { collection: { collectionName: string } }, docs: Array<{ outboxSize?: number; _id: unknown }>) {
    const ids = docs.filter((d) => d.outboxSize).map((d) => d._id);
    if (ids.length) staged(this.collection.collectionName, ids);
  };
  schema.post('insertMany', insertedMany as never);
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
