import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { FilterQuery, Model, PipelineStage, UpdateQuery } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';
import { initialOutbox, isDuplicateKey, notYetApplied, withApplied, withEvents } from '@firstmile/persistence';
import { type Change, guardFilter, type LedgerEntry } from './stock-position';
import { KeyedLock } from './keyed-lock';
import { Dispatch, type LedgerEntryDoc, StockPosition, UnknownStockAnswer } from './stock-position.schema';

/** A position as the write path reads it: everything but the ledger, the outbox and the applied ids. */
export type PositionRecord = Omit<StockPosition, 'ledger' | 'outbox' | 'outboxSize'>;
export type PositionShell = Omit<PositionRecord, 'onHandG' | 'reservedG' | 'availableG' | 'version' | 'nextExpiryAt' | 'reservations' | 'shipments'>;
export type DispatchRecord = Omit<Dispatch, 'outbox' | 'outboxSize'>;
export type LedgerRow = LedgerEntryDoc & { positionId: string; subLotId: string; lotId: string };

const WRITE_PATH = { ledger: 0, outbox: 0, appliedEvents: 0 } as const;
const READ_PATH = { ledger: 0, outbox: 0, appliedEvents: 0, reservations: 0 } as const;


export const ledgerEntryId = (positionId: string, e: LedgerEntry, n: number) =>
  `${e.at.toISOString()}|${positionId}|${String(e.version).padStart(9, '0')}|${String(n).padStart(3, '0')}`;

@Injectable()
export class StockRepository {
  /** Every update of a position in this process runs under its key: see KeyedLock for why. */
  private readonly locks = new KeyedLock();

  constructor(
    @InjectModel(StockPosition.name) private readonly positions: Model<StockPosition>,
    @InjectModel(UnknownStockAnswer.name) private readonly answers: Model<UnknownStockAnswer>,
    @InjectModel(Dispatch.name) private readonly dispatches: Model<Dispatch>,
  ) {}

  /**
   * Creates a position with its first movement and events in one insert. A redelivery hits the
   * existing id (E11000) and changes nothing; returns whether this call created it.
   */
  async insert(position: PositionRecord & { appliedEvents: string[] }, entries: LedgerEntry[], events: OutboundEvent[]): Promise<boolean> {
    try {
      await this.positions.create({
        ...position,
        ledger: entries.map((e, n) => ({ ...e, id: ledgerEntryId(position._id, e, n) })),
        ...initialOutbox(events),
      });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
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
        { $setOnInsert: { ...shell, onHandG: 0, reservedG: 0, availableG: 0, version: 0, nextExpiryAt: null, reservations: {}, shipments: [], ledger: [], appliedEvents: [], outbox: [], outboxSize: 0 } },
        { upsert: true },
      );
    } catch (err) {
      // Two receivers raced to create it: either way it exists now.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async load(id: string): Promise<PositionRecord | null> {
    const doc = await this.positions.findById(id, WRITE_PATH).lean<PositionRecord>().exec();
    return doc ? { ...doc, nextExpiryAt: doc.nextExpiryAt ?? null, reservations: doc.reservations ?? {}, shipments: doc.shipments ?? [] } : null;
  }

  async loadMany(ids: string[]): Promise<PositionRecord[]> {
    if (ids.length === 0) return [];
    const docs = await this.positions.find({ _id: { $in: ids } }, WRITE_PATH).lean<PositionRecord[]>().exec();
    return docs.map((d) => ({ ...d, reservations: d.reservations ?? {} }));
  }

  /**
   * Writes a change computed from the position read at `version`: ONE conditional update that
   * checks the version, the change's own guards (available ≥ q, best-before, reservation state) and
   * that `appliedKey` was not applied yet; moves the figures, appends the ledger, records the key
   * and stages the events. False when the position moved meanwhile (or the key was applied).
   * Call under `exclusive`.
   */
  async commit(
    position: Pick<PositionRecord, '_id' | 'version'>,
    appliedKey: string | null,
    change: Change,
    events: OutboundEvent[],
    extraSet: Record<string, unknown> = {},
  ): Promise<boolean> {
    const set: Record<string, unknown> = { ...extraSet, nextExpiryAt: change.next.nextExpiryAt };
    for (const [key, r] of Object.entries(change.reservations)) set[`reservations.${key}`] = r;
    let update: UpdateQuery<StockPosition> = { $inc: change.delta, $set: set };
    if (change.entries.length > 0) {
      update.$push = { ledger: { $each: change.entries.map((e, n) => ({ ...e, id: ledgerEntryId(position._id, e, n) })) } };
    }
    if (change.answer.kind === 'confirmed' && change.answer.reservation.shipmentId) {
      update.$addToSet = { shipments: change.answer.reservation.shipmentId };
    }
    if (appliedKey) update = withApplied(update, appliedKey);
    update = withEvents(update, events);
    const filter = {
      _id: position._id,
      version: position.version,
      ...guardFilter(change.guards),
      ...(appliedKey ? notYetApplied(appliedKey) : {}),
    } as FilterQuery<StockPosition>;
    const r = await this.positions.updateOne(filter, update);
    return r.modifiedCount === 1;
  }

  async hasApplied(id: string, key: string): Promise<boolean> {
    return (await this.positions.exists({ _id: id, appliedEvents: key })) !== null;
  }

  listStock(filter: FilterQuery<StockPosition>, limit: number): Promise<PositionRecord[]> {
    return this.positions.find(filter, READ_PATH).sort({ _id: 1 }).limit(limit).lean<PositionRecord[]>().exec();
  }

  /** Ledger entries of a warehouse's positions in time order (the entry id sorts by time). */
  async ledger(warehouseId: string, opts: { subLotId?: string; kind?: string; after?: string; limit: number }): Promise<LedgerRow[]> {
    const entryMatch: Record<string, unknown> = {};
    if (opts.after) entryMatch['ledger.id'] = { $gt: opts.after };
    if (opts.kind) entryMatch['ledger.kind'] = opts.kind;
    const pipeline: PipelineStage[] = [
      { $match: { warehouseId, ...(opts.subLotId ? { subLotId: opts.subLotId } : {}) } },
      { $project: { subLotId: 1, lotId: 1, ledger: 1 } },
      { $unwind: '$ledger' },
      ...(Object.keys(entryMatch).length ? [{ $match: entryMatch }] : []),
      { $sort: { 'ledger.id': 1 } },
      { $limit: opts.limit },
    ];
    const rows = await this.positions.aggregate<{ _id: string; subLotId?: string; lotId?: string; ledger: LedgerEntryDoc }>(pipeline).exec();
    // FerretDB 1.24's $unwind keeps only _id and the unwound field: the sub-lot and lot come from the positions.
    const ids = [...new Set(rows.filter((r) => r.subLotId === undefined || r.lotId === undefined).map((r) => r._id))];
    const names = new Map(
      ids.length === 0
        ? []
        : (await this.positions.find({ _id: { $in: ids } }, { subLotId: 1, lotId: 1 }).lean<Array<{ _id: string; subLotId: string; lotId: string }>>().exec()).map((p) => [p._id, p]),
    );
    return rows.map((r) => ({
      ...r.ledger,
      positionId: r._id,
      subLotId: r.subLotId ?? names.get(r._id)?.subLotId ?? '',
      lotId: r.lotId ?? names.get(r._id)?.lotId ?? '',
    }));
  }

  async dueForExpiry(now: Date, limit: number): Promise<string[]> {
    const docs = await this.positions.find({ nextExpiryAt: { $lte: now } }, { _id: 1 }).limit(limit).lean<Array<{ _id: string }>>().exec();
    return docs.map((d) => d._id);
  }

  async dueForWriteOff(now: Date, limit: number): Promise<string[]> {
    const docs = await this.positions
      .find({ bestBefore: { $lt: now }, availableG: { $gt: 0 } }, { _id: 1 })
      .limit(limit)
      .lean<Array<{ _id: string }>>()
      .exec();
    return docs.map((d) => d._id);
  }

  async withShipment(warehouseId: string, shipmentId: string): Promise<string[]> {
    const docs = await this.positions.find({ warehouseId, shipments: shipmentId }, { _id: 1 }).lean<Array<{ _id: string }>>().exec();
    return docs.map((d) => d._id);
  }

  /** Records the answer to a reservation for stock that is not here; false if it was answered before. */
  async answerUnknown(answer: Omit<UnknownStockAnswer, 'outbox' | 'outboxSize'>, events: OutboundEvent[]): Promise<boolean> {
    try {
      await this.answers.create({ ...answer, ...initialOutbox(events) });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
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
}
