import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { appliedEventsPlugin, outboxPlugin, type OutboxFields } from '@firstmile/persistence';

export const LOT_STATUSES = ['logged', 'graded', 'voided'] as const;
export type LotStatus = (typeof LOT_STATUSES)[number];

@Schema({ _id: false })
export class GradingSummary {
  @Prop({ required: true }) gradedAt!: string;
  @Prop({ required: true }) standard!: string;
  /** Kilograms per grade. */
  @Prop({ type: Object, required: true }) kgByGrade!: Record<string, number>;
  @Prop({ required: true }) cullKg!: number;
  @Prop({ type: [String], required: true }) subLotIds!: string[];
}

/** A void the lot's grading overtook (see lot-grading.ts): answered "voided" here, refused where grading decides. */
@Schema({ _id: false })
export class VoidRefused {
  @Prop({ required: true }) reason!: string;
  @Prop({ required: true }) requestedAt!: Date;
  @Prop({ required: true }) refusedAt!: Date;
  @Prop({ required: true }) detail!: string;
}

@Schema({ collection: 'lots', versionKey: false })
export class Lot implements OutboxFields {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) cooperativeId!: string;
  @Prop({ required: true }) growerId!: string;
  @Prop({ required: true }) orchardId!: string;
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) variety!: string;
  @Prop({ required: true }) harvestedAt!: Date;
  @Prop({ required: true }) quantityKg!: number;
  @Prop() crates?: number;
  @Prop({ required: true }) originWarehouseId!: string;
  @Prop() notes?: string;
  @Prop({ type: String, required: true, enum: LOT_STATUSES }) status!: LotStatus;
  @Prop() voidReason?: string;
  @Prop() voidedAt?: Date;
  @Prop({ type: GradingSummary }) grading?: GradingSummary;
  @Prop({ type: VoidRefused }) voidRefused?: VoidRefused;
  @Prop({ required: true }) createdAt!: Date;
  /** Hash of the request body that logged it under an Idempotency-Key: a retry with another body is 422. */
  @Prop() requestHash?: string;
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const LotSchema = SchemaFactory.createForClass(Lot);
LotSchema.plugin(outboxPlugin);
LotSchema.plugin(appliedEventsPlugin);
// Serves GET /v1/lots for a cooperative, newest first (the cursor is createdAt then _id; the other
// filters are read off the cooperative's lots in that order).
LotSchema.index({ cooperativeId: 1, createdAt: -1, _id: -1 });
// Serve ops' GET /v1/lots across cooperatives: everything, ?status=…, ?produce=…, newest first.
LotSchema.index({ createdAt: -1, _id: -1 });
LotSchema.index({ status: 1, createdAt: -1, _id: -1 });
LotSchema.index({ produce: 1, createdAt: -1, _id: -1 });
// ?status=…&produce=…: either index above serves it, but reads past every lot of the other value
// (graded apples behind 20,000 newer logged ones: 85 ms a page on the embedded store, 4 ms here).
LotSchema.index({ status: 1, produce: 1, createdAt: -1, _id: -1 });
