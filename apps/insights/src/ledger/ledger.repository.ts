import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { AnyBulkWriteOperation, FilterQuery, Model } from 'mongoose';
import { duplicateIndexes, isDuplicateKey } from '@firstmile/persistence';
import { LedgerAllocation, LedgerCancellation, LedgerLot, LedgerShipment, LedgerSubLot } from './ledger.schema';

/** Statements per bulk write and ids per `$in`: FerretDB 1.24 stalls on much larger commands. */
const CHUNK = 25;
const IN_CHUNK = 500;

const chunks = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export interface Window {
  from: Date;
  to: Date;
}
const within = (w: Window) => ({ $gte: w.from, $lt: w.to });

/**
 * The sales ledger's facts. Every write is an upsert by natural id that sets the event's own values,
 * so writing an event twice leaves the same document; times that more than one event may state use
 * `$min` (the first delivery stays the delivery).
 */
@Injectable()
export class LedgerRepository {
  constructor(
    @InjectModel(LedgerLot.name) private readonly lots: Model<LedgerLot>,
    @InjectModel(LedgerSubLot.name) private readonly subLots: Model<LedgerSubLot>,
    @InjectModel(LedgerAllocation.name) private readonly allocations: Model<LedgerAllocation>,
    @InjectModel(LedgerShipment.name) private readonly shipments: Model<LedgerShipment>,
    @InjectModel(LedgerCancellation.name) private readonly cancellations: Model<LedgerCancellation>,
  ) {}

  // ---- writes ----

  async setLot(id: string, set: Partial<Omit<LedgerLot, '_id'>>): Promise<void> {
    await this.lots.updateOne({ _id: id }, { $set: set }, { upsert: true }).exec();
  }

  /** Several lots' fields at once (one `$set` upsert each, one bulk write). */
  async setLots(docs: Array<Pick<LedgerLot, '_id'> & Partial<LedgerLot>>): Promise<void> {
    await this.upsertAll(this.lots as unknown as Model<Pick<LedgerLot, '_id'>>, docs);
  }

  /**
   * Lots as lot.logged first states them: one unordered insert, each document as it is to be stored
   * (lean). A lot already there (its grading or void was read first, or this is a redelivery) gets
   * the same fields with `$set`, as `setLots` would have written them all. On FerretDB an upsert
   * that inserts is a query and a transaction of its own; the insert is one for the whole batch.
   */
  async insertLots(docs: LedgerLot[]): Promise<void> {
    if (docs.length === 0) return;
    try {
      await this.lots.insertMany(docs, { ordered: false, lean: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Which ones, when the error says (a bulk write's errors do); otherwise all of them, which
      // the upsert writes the same.
      const refused = duplicateIndexes(err);
      await this.setLots(refused.length > 0 ? refused.map((i) => docs[i]) : docs);
    }
  }

  async putSubLots(docs: LedgerSubLot[]): Promise<void> {
    await this.upsertAll(this.subLots, docs);
  }

  async putAllocations(docs: LedgerAllocation[]): Promise<void> {
    await this.upsertAll(this.allocations, docs);
  }

  async shipmentAt(id: string, field: 'dispatchedAt' | 'deliveredAt', at: Date, orderId: string): Promise<void> {
    await this.shipments.updateOne({ _id: id }, { $min: { [field]: at }, $set: { orderId } }, { upsert: true }).exec();
  }

  async cancel(orderId: string, at: Date): Promise<void> {
    await this.cancellations.updateOne({ _id: orderId }, { $min: { cancelledAt: at } }, { upsert: true }).exec();
  }

  private async upsertAll<T extends { _id: string }>(model: Model<T>, docs: T[]): Promise<void> {
    for (const part of chunks(docs, CHUNK)) {
      const ops = part.map(({ _id, ...rest }) => ({ updateOne: { filter: { _id }, update: { $set: rest }, upsert: true } }));
      await (model as unknown as Model<{ _id: string }>).bulkWrite(ops as AnyBulkWriteOperation<{ _id: string }>[], { ordered: false });
    }
  }

  // ---- reads ----

  lotsWhere(filter: FilterQuery<LedgerLot>): Promise<LedgerLot[]> {
    return this.lots.find(filter).lean<LedgerLot[]>().exec();
  }

  lotsHarvested(by: { county?: string; cooperativeId?: string }, w: Window): Promise<LedgerLot[]> {
    return this.lotsWhere({ ...by, harvestedAt: within(w) });
  }

  lotsGraded(by: { county?: string; cooperativeId?: string }, w: Window): Promise<LedgerLot[]> {
    return this.lotsWhere({ ...by, gradedAt: within(w) });
  }

  lot(id: string): Promise<LedgerLot | null> {
    return this.lots.findById(id).lean<LedgerLot>().exec();
  }

  lotsById(ids: readonly string[]): Promise<LedgerLot[]> {
    return this.byIds(this.lots, '_id', ids);
  }

  subLotsById(ids: readonly string[]): Promise<LedgerSubLot[]> {
    return this.byIds(this.subLots, '_id', ids);
  }

  subLotsOfLots(lotIds: readonly string[]): Promise<LedgerSubLot[]> {
    return this.byIds(this.subLots, 'lotId', lotIds);
  }

  allocationsOfShipments(ids: readonly string[]): Promise<LedgerAllocation[]> {
    return this.byIds(this.allocations, 'shipmentId', ids);
  }

  allocationsOfSubLots(ids: readonly string[]): Promise<LedgerAllocation[]> {
    return this.byIds(this.allocations, 'subLotId', ids);
  }

  allocationsRouted(w: Window): Promise<LedgerAllocation[]> {
    return this.allocations.find({ routedAt: within(w) }).lean<LedgerAllocation[]>().exec();
  }

  shipmentsDelivered(w: Window): Promise<LedgerShipment[]> {
    return this.shipments.find({ deliveredAt: within(w) }).lean<LedgerShipment[]>().exec();
  }

  shipmentsById(ids: readonly string[]): Promise<LedgerShipment[]> {
    return this.byIds(this.shipments, '_id', ids);
  }

  async cancelled(orderIds: readonly string[]): Promise<Set<string>> {
    return new Set((await this.byIds(this.cancellations, '_id', orderIds)).map((c) => c._id));
  }

  private async byIds<T>(model: Model<T>, field: string, ids: readonly string[]): Promise<T[]> {
    const out: T[] = [];
    for (const part of chunks([...new Set(ids)], IN_CHUNK)) {
      out.push(...(await model.find({ [field]: { $in: part } } as FilterQuery<T>).lean<T[]>().exec()));
    }
    return out;
  }
}
