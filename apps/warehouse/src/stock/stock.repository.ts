import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { AnyBulkWriteOperation, FilterQuery, Model, UpdateQuery } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';
import { duplicateIndexes, initialOutbox, isDuplicateKey, notYetApplied, outboxSignal, withApplied, withEvents } from '@firstmile/persistence';
import { type Change, guardFilter, type LedgerEntry, type Reservation, type Reservations } from './stock-position';
import { KeyedLock } from './keyed-lock';
import { Dispatch, type PendingWrites, StockLedgerEntry, StockPosition, StockReservation } from './stock-position.schema';

/** A position as the write path reads it: everything but the outbox and the applied ids. */
export type PositionRecord = Omit<StockPosition, 'outbox' | 'outboxSize'>;
export type PositionShell = Omit<PositionRecord, 'onHandG' | 'reservedG' | 'availableG' | 'version' | 'pending' | 'pendingCount'>;
export type ReservationRecord = Omit<StockReservation, 'outbox' | 'outboxSize'>;
export type DispatchRecord = Omit<Dispatch, 'outbox' | 'outboxSize'>;

const WRITE_PATH = { outbox: 0, appliedEvents: 0 } as const;
const READ_PATH = { outbox: 0, appliedEvents: 0, pending: 0 } as const;
const RESERVATION = { outbox: 0, outboxSize: 0 } as const;
/** Statements per bulk write: FerretDB 1.24 deadlocks on update commands of ~100 statements (see the outbox relay). */
const BULK_CHUNK = 25;

export const ledgerEntryId = (positionId: string, e: LedgerEntry, n: number) =>
  `${e.at.toISOString()}|${positionId}|${String(e.version).padStart(9, '0')}|${String(n).padStart(3, '0')}`;

const pendingKey = (version: number) => `v${version}`;

/** The documents a change of this position writes besides the position itself. */
export function pendingWrites(p: PositionShell, change: Pick<Change, 'reservations' | 'entries' | 'next'>): PendingWrites {
  const where = { positionId: p._id, warehouseId: p.warehouseId, subLotId: p.subLotId };
  return {
    reservations: Object.values(change.reservations).map((r) => ({ ...r, _id: r.reservationId, ...where, positionVersion: change.next.version })),
    entries: change.entries.map((e, n) => ({ ...e, _id: ledgerEntryId(p._id, e, n), ...where, lotId: p.lotId })),
  };
}

const hasWrites = (w: PendingWrites) => w.reservations.length > 0 || w.entries.length > 0;

/**
 * Positions, reservations and the ledger. A change of a position is one conditional update of the
 * position document that also records, under `pending`, the reservation and ledger documents it
 * writes; `settle` writes those (by id, so writing them twice is writing them once) and clears the
 * entry. Nothing reads reservations of a position without settling it first.
 */
@Injectable()
export class StockRepository {
  /** Every change of a position in this process runs under its key: see KeyedLock for why. */
  private readonly locks = new KeyedLock();

  constructor(
    @InjectModel(StockPosition.name) private readonly positions: Model<StockPosition>,
    @InjectModel(StockReservation.name) private readonly reservations: Model<StockReservation>,
    @InjectModel(StockLedgerEntry.name) private readonly entries: Model<StockLedgerEntry>,
    @InjectModel(Dispatch.name) private readonly dispatches: Model<Dispatch>,
  ) {}

  /**
   * Creates positions, each with its first movement and events, in one insert per chunk, then
   * settles the ones this call created together (their ledger entries in one insert, their marks in
   * one bulk write). One that exists already was created by an earlier delivery, which settled it
   * (or the sweep does). Returns the ids this call created.
   */
  async insertAll(items: ReadonlyArray<{ position: PositionRecord & { appliedEvents: string[] }; writes: PendingWrites; events: OutboundEvent[] }>): Promise<Set<string>> {
    const docs = items.map(({ position, writes, events }) => {
      const pending = hasWrites(writes) ? { [pendingKey(position.version)]: writes } : {};
      return { ...position, pending, pendingCount: Object.keys(pending).length, ...initialOutbox(events) };
    });
    const created = new Set<string>();
    for (let i = 0; i < docs.length; i += BULK_CHUNK) {
      const part = docs.slice(i, i + BULK_CHUNK);
      let existing = new Set<number>();
      try {
        await this.positions.insertMany(part as never, { ordered: false, throwOnValidationError: true });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        existing = new Set(duplicateIndexes(err));
      }
      part.forEach((d, j) => existing.has(j) || created.add(d._id));
    }
    const fresh = docs.filter((d) => created.has(d._id));
    await this.writeAll(fresh.map((d) => d.pending));
    await this.bulk(
      this.positions,
      fresh.flatMap((d) =>
        Object.keys(d.pending).map((k) => ({
          updateOne: { filter: { _id: d._id, [`pending.${k}`]: { $exists: true } }, update: { $unset: { [`pending.${k}`]: '' }, $inc: { pendingCount: -1 } } },
        })),
      ),
    );
    return created;
  }

  /** Runs read-decide-write work on one position with no other writer of it in this process. */
  exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(id, work);
  }

  /** Makes sure a position exists (empty) so a transfer can be credited to it by a conditional update. Call under `exclusive`. */
  async ensure(shell: PositionShell): Promise<void> {
    try {
      await this.positions.updateOne(
        { _id: shell._id },
        { $setOnInsert: { ...shell, onHandG: 0, reservedG: 0, availableG: 0, version: 0, pending: {}, pendingCount: 0, appliedEvents: [], outbox: [], outboxSize: 0 } },
        { upsert: true },
      );
    } catch (err) {
      // Two receivers raced to create it: either way it exists now.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async load(id: string): Promise<PositionRecord | null> {
    const doc = await this.positions.findById(id, WRITE_PATH).lean<PositionRecord>().exec();
    return doc ? { ...doc, pending: doc.pending ?? {}, pendingCount: doc.pendingCount ?? 0 } : null;
  }

  loadMany(ids: string[]): Promise<PositionRecord[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.positions.find({ _id: { $in: ids } }, READ_PATH).lean<PositionRecord[]>().exec();
  }

  /**
   * Writes a change computed from the position read at `version`: ONE conditional update that
   * checks the version, the change's own guards (available ≥ q, best-before) and that `appliedKey`
   * was not applied yet; moves the figures, records the key, stages the events and records the
   * reservation and ledger documents the change owes. It also clears the entries of `written`,
   * which earlier changes owed and `write` has written. Null when the position moved meanwhile (or
   * the key was applied); otherwise the entry to `write`. Call under `exclusive`.
   */
  async commit(
    position: Pick<PositionRecord, '_id' | 'version'> & PositionShell,
    appliedKey: string | null,
    change: Change,
    events: OutboundEvent[],
    extraSet: Record<string, unknown> = {},
    written: string[] = [],
  ): Promise<Pick<PositionRecord, '_id' | 'pending'> | null> {
    const writes = pendingWrites(position, change);
    const pending = hasWrites(writes) ? { [pendingKey(change.next.version)]: writes } : {};
    const set: Record<string, unknown> = { ...extraSet };
    for (const [key, w] of Object.entries(pending)) set[`pending.${key}`] = w;
    let update: UpdateQuery<StockPosition> = { $inc: { ...change.delta, pendingCount: Object.keys(pending).length - written.length }, $set: set };
    if (written.length > 0) update.$unset = Object.fromEntries(written.map((k) => [`pending.${k}`, '']));
    if (appliedKey) update = withApplied(update, appliedKey);
    update = withEvents(update, events);
    const filter = {
      _id: position._id,
      version: position.version,
      ...guardFilter(change.guards),
      ...(appliedKey ? notYetApplied(appliedKey) : {}),
    } as FilterQuery<StockPosition>;
    const r = await this.positions.updateOne(filter, update);
    return r.modifiedCount === 1 ? { _id: position._id, pending } : null;
  }

  /**
   * Writes what a position's changes owe, oldest first. Every write is by id (a reservation is
   * created once, then set to its state; a ledger entry is inserted once), so writing again after a
   * crash part-way writes the same documents. A reservation's state replaces only an older one (by
   * the position version it was written at): a replica that writes what it owes after another
   * replica settled the position and wrote a newer state changes nothing. Call under `exclusive`.
   */
  async write(pending: PositionRecord['pending']): Promise<void> {
    await this.writeAll([pending]);
  }

  /** `write` for several positions' changes at once: one insert or bulk write per kind of document. */
  private async writeAll(pendings: ReadonlyArray<PositionRecord['pending']>): Promise<void> {
    const latest = new Map<string, PendingWrites['reservations'][number]>();
    const entries: PendingWrites['entries'] = [];
    for (const pending of pendings) {
      for (const k of Object.keys(pending).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))) {
        for (const r of pending[k].reservations) latest.set(r._id, r);
        entries.push(...pending[k].entries);
      }
    }
    if (latest.size === 0 && entries.length === 0) return;
    // A held reservation is a new one (only a reservation creates that state): one insert.
    const created = [...latest.values()].filter((r) => r.status === 'held');
    const changed = [...latest.values()].filter((r) => r.status !== 'held');
    await Promise.all([
      this.insertOnce(this.reservations, created),
      // Existing with a newer state, the upsert's insert hits the _id: nothing to write. (A reservation
      // stored before versions were recorded has none: any state replaces it.)
      this.bulk(
        this.reservations,
        changed.map(({ _id, ...r }) => ({
          updateOne: {
            filter: { _id, $or: [{ positionVersion: { $lt: r.positionVersion } }, { positionVersion: { $exists: false } }] },
            update: { $set: r },
            upsert: true,
          },
        })),
        { ignoreDuplicates: true },
      ),
      this.insertOnce(this.entries, entries),
    ]);
  }

  /** Writes what a position's changes owe and clears their entries: after a crash, before anything is decided. Call under `exclusive`. */
  async settle(p: Pick<PositionRecord, '_id' | 'pending'>): Promise<void> {
    await this.write(p.pending);
    await this.bulk(
      this.positions,
      Object.keys(p.pending).map((k) => ({
        updateOne: { filter: { _id: p._id, [`pending.${k}`]: { $exists: true } }, update: { $unset: { [`pending.${k}`]: '' }, $inc: { pendingCount: -1 } } },
      })),
    );
  }

  /** Positions whose changes still owe writes (a crash came between a change and its settling). */
  async unsettled(limit: number): Promise<string[]> {
    const docs = await this.positions.find({ pendingCount: { $gt: 0 } }, { _id: 1 }).limit(limit).lean<Array<{ _id: string }>>().exec();
    return docs.map((d) => d._id);
  }

  /** The stored reservations among `ids`, by id, in one read. Settle their positions first. */
  async reservationsById(ids: string[]): Promise<Reservations> {
    if (ids.length === 0) return {};
    const docs = await this.reservations.find({ _id: { $in: [...new Set(ids)] } }, RESERVATION).lean<ReservationRecord[]>().exec();
    return Object.fromEntries(docs.map((d) => [d._id, toReservation(d)]));
  }

  /**
   * Records refusals that change no position, each with its answer, in one insert; returns the
   * reservation ids recorded by this call (one answered before is not recorded again).
   */
  async recordRefusals(refusals: Array<{ reservation: ReservationRecord; events: OutboundEvent[] }>): Promise<Set<string>> {
    const ids = new Set(refusals.map((r) => r.reservation._id));
    if (refusals.length === 0) return ids;
    try {
      await this.reservations.insertMany(
        refusals.map((r) => ({ ...r.reservation, ...initialOutbox(r.events) })),
        { ordered: false },
      );
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      for (const e of duplicateIndexes(err)) ids.delete(refusals[e].reservation._id);
    }
    return ids;
  }

  /**
   * Stages the answers to commands that found their reservation closed (see `lateAnswer`), each with
   * its event, in one bulk write: a reservation still in the state the answer was decided on, and
   * not answered so before, takes it; a redelivered command's answer matches nothing.
   */
  async answerClosed(answers: ReadonlyArray<{ reservationId: string; status: ReservationRecord['status']; answer: string; events: OutboundEvent[] }>): Promise<void> {
    if (answers.length === 0) return;
    await this.bulk(
      this.reservations,
      answers.map((a) => ({
        updateOne: {
          filter: { _id: a.reservationId, status: a.status, answered: { $ne: a.answer } },
          update: withEvents<StockReservation>({ $push: { answered: a.answer } }, a.events) as never,
        },
      })),
    );
    // A bulk write runs no update middleware: the relay hears of the staged events here.
    outboxSignal.emit('staged', this.reservations.collection.collectionName, [...new Set(answers.map((a) => a.reservationId))]);
  }

  async hasApplied(id: string, key: string): Promise<boolean> {
    return (await this.positions.exists({ _id: id, appliedEvents: key })) !== null;
  }

  listStock(filter: FilterQuery<StockPosition>, limit: number): Promise<PositionRecord[]> {
    return this.positions.find(filter, READ_PATH).sort({ _id: 1 }).limit(limit).lean<PositionRecord[]>().exec();
  }

  /** Ledger entries of a warehouse's positions in time order (the entry id sorts by time). */
  ledger(warehouseId: string, opts: { subLotId?: string; kind?: string; after?: string; limit: number }): Promise<StockLedgerEntry[]> {
    const filter: FilterQuery<StockLedgerEntry> = { warehouseId };
    if (opts.subLotId) filter.subLotId = opts.subLotId;
    if (opts.kind) filter.kind = opts.kind;
    if (opts.after) filter._id = { $gt: opts.after };
    return this.entries.find(filter).sort({ _id: 1 }).limit(opts.limit).lean<StockLedgerEntry[]>().exec();
  }

  /** Held reservations whose time has come, with their positions. */
  async dueForExpiry(now: Date, limit: number): Promise<Array<{ _id: string; positionId: string }>> {
    return this.reservations.find({ status: 'held', expiresAt: { $lte: now } }, { positionId: 1 }).limit(limit).lean<Array<{ _id: string; positionId: string }>>().exec();
  }

  async dueForWriteOff(now: Date, limit: number): Promise<string[]> {
    const docs = await this.positions
      .find({ bestBefore: { $lt: now }, availableG: { $gt: 0 } }, { _id: 1 })
      .limit(limit)
      .lean<Array<{ _id: string }>>()
      .exec();
    return docs.map((d) => d._id);
  }

  /** A shipment's reservations at a warehouse, whatever their status. */
  withShipment(warehouseId: string, shipmentId: string): Promise<ReservationRecord[]> {
    return this.reservations.find({ warehouseId, shipmentId }, RESERVATION).lean<ReservationRecord[]>().exec();
  }

  findDispatch(id: string): Promise<DispatchRecord | null> {
    return this.dispatches.findById(id, { outbox: 0, outboxSize: 0 }).lean<DispatchRecord>().exec();
  }

  /** The dispatch and its event in one insert; when another call got there first, theirs. */
  async insertDispatch(d: DispatchRecord, events: OutboundEvent[]): Promise<DispatchRecord> {
    try {
      await this.dispatches.create({ ...d, ...initialOutbox(events) });
      return d;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.findDispatch(d._id);
      if (!existing) throw err;
      return existing;
    }
  }

  /** Inserts documents that may have been inserted before (a write repeated after a crash): those are left as they are. */
  private async insertOnce(model: { insertMany(docs: never, options: { ordered: boolean }): Promise<unknown> }, docs: object[]): Promise<void> {
    for (let i = 0; i < docs.length; i += BULK_CHUNK) {
      try {
        await model.insertMany(docs.slice(i, i + BULK_CHUNK) as never, { ordered: false });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
  }

  /** `ignoreDuplicates`: statements that hit an existing _id are skipped, not an error (the others are written). */
  private async bulk(
    model: { bulkWrite(ops: never, options: { ordered: boolean }): Promise<unknown> },
    ops: AnyBulkWriteOperation[],
    { ignoreDuplicates = false } = {},
  ): Promise<void> {
    for (let i = 0; i < ops.length; i += BULK_CHUNK) {
      try {
        await model.bulkWrite(ops.slice(i, i + BULK_CHUNK) as never, { ordered: !ignoreDuplicates });
      } catch (err) {
        if (!ignoreDuplicates || !isDuplicateKey(err)) throw err;
      }
    }
  }
}

/** A stored reservation as the rules know it. */
export function toReservation(d: ReservationRecord): Reservation {
  return {
    reservationId: d.reservationId,
    orderId: d.orderId,
    quantityG: d.quantityG,
    status: d.status,
    at: d.at,
    expiresAt: d.expiresAt ?? null,
    shipmentId: d.shipmentId ?? null,
    closedAt: d.closedAt ?? null,
    reason: d.reason ?? null,
  };
}
