import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '@firstmile/contracts';
import { outboxPlugin, type OutboxFields } from '@firstmile/persistence';
import { DestinationDoc } from '../orders/order.schema';

@Schema({ _id: false })
export class ShipmentItemDoc {
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) reservationId!: string;
  @Prop({ required: true }) quantityKg!: number;
}

@Schema({ _id: false })
export class CheckpointLocationDoc {
  @Prop() name?: string;
  @Prop() lat?: number;
  @Prop() lon?: number;
}

@Schema({ _id: false })
export class TrackingEventDoc {
  @Prop({ type: String, required: true, enum: SHIPMENT_STATUSES }) status!: ShipmentStatus;
  @Prop({ required: true }) at!: Date;
  @Prop({ type: CheckpointLocationDoc }) location?: CheckpointLocationDoc;
  @Prop() note?: string;
}

/** One warehouse's part of an order, on its way to the buyer; its timeline lives inside it. */
@Schema({ collection: 'shipments', versionKey: false })
export class Shipment implements OutboxFields {
  /** Generated when the order was routed, so creating it again from the same event is a no-op. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) orderId!: string;
  @Prop({ required: true }) buyerId!: string;
  @Prop({ required: true }) warehouseId!: string;
  @Prop({ type: DestinationDoc, required: true }) destination!: DestinationDoc;
  @Prop({ type: [SchemaFactory.createForClass(ShipmentItemDoc)], required: true }) items!: ShipmentItemDoc[];
  @Prop({ type: String, required: true, enum: SHIPMENT_STATUSES }) status!: ShipmentStatus;
  @Prop({ required: true }) eta!: Date;
  @Prop({ type: [SchemaFactory.createForClass(TrackingEventDoc)], default: [] }) events!: TrackingEventDoc[];
  /** Optimistic concurrency for tracking updates. */
  @Prop({ required: true, default: 0 }) rev!: number;
  @Prop({ required: true }) createdAt!: Date;
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const ShipmentSchema = SchemaFactory.createForClass(Shipment);
ShipmentSchema.plugin(outboxPlugin);
// Serve GET /v1/shipments (all, ?status=…, ?warehouseId=…, both, ?orderId=…), newest first.
ShipmentSchema.index({ createdAt: -1, _id: -1 });
ShipmentSchema.index({ status: 1, createdAt: -1, _id: -1 });
ShipmentSchema.index({ warehouseId: 1, createdAt: -1, _id: -1 });
ShipmentSchema.index({ warehouseId: 1, status: 1, createdAt: -1, _id: -1 });
ShipmentSchema.index({ orderId: 1, createdAt: -1, _id: -1 });
