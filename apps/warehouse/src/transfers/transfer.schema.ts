import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const TRANSFER_STATUSES = ['pending', 'in_transit', 'received', 'failed'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/**
 * A movement of one sub-lot between warehouses. Its own document; the stock moves in the two
 * positions by writes keyed by the transfer id (`<id>:out`, `<id>:in`), so each leg happens once
 * however often a step is retried. `pending` covers the instant between this record and the
 * source's decrement: a transfer never exists in_transit without its stock having left.
 */
@Schema({ collection: 'transfers', versionKey: false })
export class Transfer {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) fromWarehouseId!: string;
  @Prop({ required: true }) toWarehouseId!: string;
  @Prop({ required: true }) quantityG!: number;
  @Prop({ type: String, required: true, enum: TRANSFER_STATUSES }) status!: TransferStatus;
  /** The sub-lot as it left, so the destination position can be created from it. */
  @Prop({ required: true }) lotId!: string;
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) variety!: string;
  @Prop({ required: true }) grade!: string;
  @Prop({ type: String, default: null }) brand!: string | null;
  @Prop({ required: true }) traceCode!: string;
  @Prop({ required: true }) bestBefore!: Date;
  @Prop({ required: true }) createdBy!: string;
  @Prop({ required: true }) createdAt!: Date;
  @Prop() dispatchedAt?: Date;
  @Prop() receivedAt?: Date;
  @Prop() failure?: string;
}

export const TransferSchema = SchemaFactory.createForClass(Transfer);
// Serves an operator's view of transfers leaving or arriving: { fromWarehouseId | toWarehouseId, status }.
TransferSchema.index({ fromWarehouseId: 1, status: 1 });
TransferSchema.index({ toWarehouseId: 1, status: 1 });
// Serves the recovery of transfers left pending: { status: 'pending', createdAt: { $lt: … } }.
TransferSchema.index({ status: 1, createdAt: 1 });
