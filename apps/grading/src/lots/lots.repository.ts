import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';
import { newestFirst, type Page } from '@firstmile/http';
import { createOnce, initialOutbox, isDuplicateKey } from '@firstmile/persistence';
import { GradingLot } from './lot.schema';
import { LotOutcome, type MeasuredSnapshot } from './lot-outcome.schema';
import { type GradeTotals, MeasurementBatch } from './measurement-batch.schema';

export type OutcomeRecord = Omit<LotOutcome, 'outbox' | 'outboxSize'>;

const NEWEST = newestFirst<GradingLot>('receivedAt');


/**
 * A lot, its measurement batches and its outcome. Every write is an insert with a natural unique
 * key, never an update: inserts are the writes that stay exactly-once under concurrency here.
 */
@Injectable()
export class LotsRepository {
  constructor(
    @InjectModel(GradingLot.name) private readonly lots: Model<GradingLot>,
    @InjectModel(MeasurementBatch.name) private readonly batches: Model<MeasurementBatch>,
    @InjectModel(LotOutcome.name) private readonly outcomes: Model<LotOutcome>,
  ) {}

  /**
   * The lots of a batch of lot.logged, in one insert; a redelivered one finds its id taken and changes
   * nothing. Lean: each lot is stored as given, so it must be as its schema stores it (the service's
   * test checks it against `storedForm`).
   */
  async insertLots(lots: readonly GradingLot[]): Promise<void> {
    if (lots.length === 0) return;
    try {
      await this.lots.insertMany([...lots], { ordered: false, lean: true });
    } catch (err) {
      // Unordered: the others were written.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  findLot(id: string): Promise<GradingLot | null> {
    return this.lots.findById(id).lean<GradingLot>().exec();
  }

  /** Lots that arrived at these warehouses (all when undefined), newest first, one page. */
  async listLots(warehouses: string[] | undefined, cursor: string | undefined, limit: number): Promise<Page<GradingLot>> {
    const filter = { ...(warehouses ? { originWarehouseId: { $in: warehouses } } : {}), ...NEWEST.after(cursor) };
    const rows = await this.lots.find(filter, { trace: 0 }).sort(NEWEST.sort).limit(limit + 1).lean<GradingLot[]>().exec();
    return NEWEST.page(rows, limit);
  }

  /** The decided lots among these, by lot id → outcome; undecided lots are missing (pending). */
  async outcomesOf(lotIds: string[]): Promise<Map<string, 'graded' | 'voided'>> {
    if (lotIds.length === 0) return new Map();
    const rows = await this.outcomes.find({ _id: { $in: lotIds } }, { outcome: 1 }).lean<{ _id: string; outcome: 'graded' | 'voided' }[]>().exec();
    return new Map(rows.map((r) => [r._id, r.outcome]));
  }

  findOutcome(lotId: string): Promise<OutcomeRecord | null> {
    return this.outcomes.findById(lotId, { outbox: 0, outboxSize: 0 }).lean<OutcomeRecord>().exec();
  }

  /** Decides the lot's outcome (and stages its events) once; false when it was already decided. */
  async decide(outcome: Omit<LotOutcome, 'outbox' | 'outboxSize'>, events: OutboundEvent[]): Promise<boolean> {
    return createOnce(this.outcomes, { ...outcome, ...initialOutbox(events) });
  }

  /** One batch's tallies in one insert; false when this batch id was already taken for the lot. */
  async insertBatch(lotId: string, batchId: string, fruits: number, byGrade: Record<string, GradeTotals>, at: Date): Promise<boolean> {
    return createOnce(this.batches, { _id: batchKey(lotId, batchId), lotId, batchId, fruits, byGrade, at });
  }

  /** Takes back a batch that landed after the lot's outcome was decided. */
  async deleteBatch(lotId: string, batchId: string): Promise<void> {
    await this.batches.deleteOne({ _id: batchKey(lotId, batchId) });
  }

  /** Sums a lot's batches. Batches are few (a 100 t lot is ~40 of them), each a small tally. */
  async measured(lotId: string): Promise<MeasuredSnapshot> {
    const rows = await this.batches.find({ lotId }, { fruits: 1, byGrade: 1 }).lean<Pick<MeasurementBatch, 'fruits' | 'byGrade'>[]>().exec();
    const total: MeasuredSnapshot = { batches: rows.length, fruits: 0, byGrade: {} };
    for (const row of rows) {
      total.fruits += row.fruits;
      for (const [grade, t] of Object.entries(row.byGrade)) {
        const sum = (total.byGrade[grade] ??= { fruits: 0, mg: 0 });
        sum.fruits += t.fruits;
        sum.mg += t.mg;
      }
    }
    return total;
  }
}

const batchKey = (lotId: string, batchId: string) => `${lotId}/${batchId}`;
