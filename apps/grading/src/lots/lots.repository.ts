import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';
import { createOnce, initialOutbox, isDuplicateKey } from '@firstmile/persistence';
import { GradingLot } from './lot.schema';
import { LotOutcome, type MeasuredSnapshot } from './lot-outcome.schema';
import { type GradeTotals, MeasurementBatch } from './measurement-batch.schema';

export type OutcomeRecord = Omit<LotOutcome, 'outbox' | 'outboxSize'>;


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

  /** The lot from lot.logged; a redelivery finds its id taken and changes nothing. */
  async insertLot(lot: GradingLot): Promise<void> {
    try {
      await this.lots.create(lot);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  findLot(id: string): Promise<GradingLot | null> {
    return this.lots.findById(id).lean<GradingLot>().exec();
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
