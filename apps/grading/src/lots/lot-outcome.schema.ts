import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { outboxPlugin, type OutboxFields } from '@firstmile/persistence';
import type { GradeTotals } from './measurement-batch.schema';

@Schema({ _id: false })
export class GradedSubLotDoc {
  @Prop({ required: true }) id!: string;
  @Prop({ required: true }) grade!: string;
  @Prop({ required: true }) quantityKg!: number;
  @Prop({ type: String, default: null }) brand!: string | null;
  @Prop({ required: true }) traceCode!: string;
  @Prop({ required: true }) bestBefore!: Date;
}

/** The measurements a grading used, as they stood when it was decided. */
export interface MeasuredSnapshot {
  batches: number;
  fruits: number;
  byGrade: Record<string, GradeTotals>;
}

/**
 * How a lot ended: graded (with its sub-lots and the lot.graded event in the outbox) or voided.
 * The id is the lot id and the document is only ever inserted, so of two concurrent gradings, or a
 * grading racing a void, exactly one wins: a unique key is the one guarantee the store keeps under
 * concurrency.
 */
@Schema({ collection: 'lot_outcomes', versionKey: false, minimize: false })
export class LotOutcome implements OutboxFields {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true, enum: ['graded', 'voided'] }) outcome!: 'graded' | 'voided';
  @Prop() gradedAt?: Date;
  @Prop() standard?: string;
  @Prop({ type: String }) method?: 'bands' | 'measurements';
  @Prop({ type: [SchemaFactory.createForClass(GradedSubLotDoc)], default: undefined }) subLots?: GradedSubLotDoc[];
  @Prop() cullKg?: number;
  @Prop({ type: Object }) measured?: MeasuredSnapshot;
  @Prop() voidedAt?: Date;
  @Prop() voidReason?: string;
  @Prop({ required: true }) decidedAt!: Date;
  /** The Idempotency-Key identity of the request that graded the lot: its retry gets the same answer. */
  @Prop() requestSeed?: string;
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const LotOutcomeSchema = SchemaFactory.createForClass(LotOutcome);
LotOutcomeSchema.plugin(outboxPlugin);

export type GradedOutcome = LotOutcome & Required<Pick<LotOutcome, 'gradedAt' | 'standard' | 'method' | 'subLots' | 'cullKg'>>;
