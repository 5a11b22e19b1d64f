import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { FilterQuery, Model } from 'mongoose';
import type { OutboundEvent } from '@firstmile/messaging';
import { GroupCommit, initialOutbox, notYetApplied, withApplied, withEvents } from '@firstmile/persistence';
import { gradingRecorded } from './lot-grading';
import { Lot, type GradingSummary } from './lot.schema';

export type LotRecord = Omit<Lot, 'outbox' | 'outboxSize'>;

const HIDDEN = { outbox: 0, outboxSize: 0, appliedEvents: 0 } as const;

@Injectable()
export class LotsRepository {
  /** Concurrent creates share one insertMany; each answers for its own document (see GroupCommit). */
  private readonly creates: GroupCommit;

  constructor(@InjectModel(Lot.name) private readonly model: Model<Lot>) {
    this.creates = new GroupCommit(model);
  }

  /**
   * The lot and its lot.logged event, in one write; false when a lot with its id exists. Resolves once the
   * lot is durable, written together with the other creates of the same few milliseconds. Inserted
   * as given (see GroupCommit): the lot as its schema stores it.
   */
  async insert(lot: LotRecord, events: OutboundEvent[]): Promise<boolean> {
    return this.creates.insert({ ...lot, ...initialOutbox(events), appliedEvents: [] });
  }

  findById(id: string): Promise<LotRecord | null> {
    return this.model.findById(id, HIDDEN).lean<LotRecord>().exec();
  }

  find(filter: FilterQuery<Lot>, sort: Record<string, 1 | -1>, limit: number): Promise<LotRecord[]> {
    return this.model.find(filter, HIDDEN).sort(sort).limit(limit).lean<LotRecord[]>().exec();
  }

  /** Voids a lot still `logged`; returns null when it is not (any more). */
  async void(id: string, reason: string, at: Date, events: OutboundEvent[]): Promise<LotRecord | null> {
    // No projection on findOneAndUpdate: FerretDB 1.x rejects it. The update is conditional, so the
    // lot read afterwards is the one this call voided.
    const r = await this.model.updateOne(
      { _id: id, status: 'logged' },
      withEvents<Lot>({ $set: { status: 'voided', voidReason: reason, voidedAt: at } }, events),
    );
    return r.modifiedCount === 1 ? this.findById(id) : null;
  }

  /**
   * Records the grading outcome once per event; a redelivery matches nothing. The change depends on
   * the lot's status (a voided lot's void becomes refused: see lot-grading.ts), so it is written
   * conditionally on the status read and decided again if a void came in between.
   */
  async recordGrading(id: string, eventId: string, summary: GradingSummary, now: Date): Promise<void> {
    for (;;) {
      const lot = await this.model.findOne({ _id: id, ...notYetApplied(eventId) }, { status: 1, voidReason: 1, voidedAt: 1 }).lean<Pick<Lot, 'status' | 'voidReason' | 'voidedAt'>>().exec();
      if (!lot) return;
      const { set, unset } = gradingRecorded(lot, summary, now);
      const r = await this.model.updateOne(
        { _id: id, status: lot.status, ...notYetApplied(eventId) },
        withApplied<Lot>({ $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}) }, eventId),
      );
      if (r.matchedCount === 1) return;
    }
  }
}
