import type { StoredTrace } from '@firstmile/telemetry';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const LOT_STATUSES = ['pending', 'graded', 'voided'] as const;
export type LotStatus = (typeof LOT_STATUSES)[number];

/**
 * A harvest lot as lot.logged described it. Written once and never updated: what happens to the
 * lot later lives in documents that are only ever inserted (batches, the outcome), because the
 * store does not make concurrent updates of one document atomic (see README, "Concurrency").
 */
@Schema({ collection: 'lots', versionKey: false })
export class GradingLot {
  /** The harvest lot id. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: Object, required: true }) cooperative!: { id: string; name: string; county: string; province: string };
  @Prop({ type: Object, required: true }) orchard!: { id: string; name: string; location: { lat: number; lon: number } };
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) variety!: string;
  @Prop({ required: true }) quantityKg!: number;
  @Prop({ required: true }) originWarehouseId!: string;
  @Prop({ required: true }) harvestedAt!: Date;
  /** The standard in force for the produce when the lot arrived; null when none grades it. */
  @Prop({ type: String, default: null }) standard!: string | null;
  @Prop({ required: true }) receivedAt!: Date;
  /** Trace context of the lot.logged event, continued when the lot is graded. */
  @Prop({ type: Object }) trace?: StoredTrace;
}

export const GradingLotSchema = SchemaFactory.createForClass(GradingLot);
// Serves GET /v1/lots: a grading line's warehouses, newest arrival first (ties by id, the cursor's order).
GradingLotSchema.index({ originWarehouseId: 1, receivedAt: -1, _id: -1 });
