import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ORDER_CHANNELS, type OrderChannel } from '@firstmile/contracts';

/*
 * The sales ledger: facts about lots, sub-lots, allocations, shipments and orders, each from the
 * event that states it, keyed by its natural id and written with `$set` of the event's own values
 * (or `$min` of a time). Writing an event again — a redelivery, a replay, another replica — writes
 * the same values, so nothing is ever counted twice; and since every figure (settlements, county
 * summaries) is computed from these facts when asked, the order in which the streams are read does
 * not matter either. Weights are whole grams and money whole fen.
 */

/** A harvest lot: from lot.logged (who, where, how much), lot.voided and lot.graded (cull). */
@Schema({ collection: 'ledger_lots', versionKey: false })
export class LedgerLot {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop() cooperativeId?: string;
  @Prop() cooperativeName?: string;
  @Prop() county?: string;
  @Prop() province?: string;
  @Prop() growerId?: string;
  @Prop() growerName?: string;
  @Prop() produce?: string;
  @Prop() harvestedAt?: Date;
  @Prop() grams?: number;
  @Prop() voidedAt?: Date;
  @Prop() gradedAt?: Date;
  @Prop() cullGrams?: number;
}
export const LedgerLotSchema = SchemaFactory.createForClass(LedgerLot);
// Serves a county's harvest in a window (county summary, the counties list reads by county).
LedgerLotSchema.index({ county: 1, harvestedAt: 1 });
// Serves a county's grading in a window (county summary).
LedgerLotSchema.index({ county: 1, gradedAt: 1 });
// Serves a cooperative's harvest in a window (settlements).
LedgerLotSchema.index({ cooperativeId: 1, harvestedAt: 1 });
// Serves a cooperative's grading in a window (settlements).
LedgerLotSchema.index({ cooperativeId: 1, gradedAt: 1 });

/** A graded sub-lot (lot.graded): the lineage sub-lot → lot that attributes its sales. */
@Schema({ collection: 'ledger_sub_lots', versionKey: false })
export class LedgerSubLot {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) lotId!: string;
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) grade!: string;
  @Prop({ type: String, default: null }) brand!: string | null;
  @Prop({ required: true }) grams!: number;
}
export const LedgerSubLotSchema = SchemaFactory.createForClass(LedgerSubLot);
// Serves a lot's sub-lots (lot settlement, grading figures).
LedgerSubLotSchema.index({ lotId: 1 });

/** One allocation of a routed order (order.routed), keyed by its reservation id, with the price fixed on it. */
@Schema({ collection: 'ledger_allocations', versionKey: false })
export class LedgerAllocation {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) orderId!: string;
  @Prop({ required: true }) shipmentId!: string;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) grams!: number;
  @Prop({ type: Number, default: null }) unitPriceFen!: number | null;
  @Prop({ type: Number, default: null }) amountFen!: number | null;
  @Prop({ type: String, enum: [...ORDER_CHANNELS, null], default: null }) channel!: OrderChannel | null;
  @Prop({ required: true }) city!: string;
  @Prop() deliverBy?: Date;
  @Prop({ required: true }) routedAt!: Date;
}
export const LedgerAllocationSchema = SchemaFactory.createForClass(LedgerAllocation);
// Serves the allocations a delivered shipment carried (sales in a window).
LedgerAllocationSchema.index({ shipmentId: 1 });
// Serves a lot's sales by its sub-lots (lot settlement).
LedgerAllocationSchema.index({ subLotId: 1 });
// Serves the shipments routed in a window (county deliveries).
LedgerAllocationSchema.index({ routedAt: 1 });

/** A shipment's dispatch (stock.dispatched) and delivery (shipment.status-changed → delivered). */
@Schema({ collection: 'ledger_shipments', versionKey: false })
export class LedgerShipment {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop() orderId?: string;
  @Prop() dispatchedAt?: Date;
  @Prop() deliveredAt?: Date;
}
export const LedgerShipmentSchema = SchemaFactory.createForClass(LedgerShipment);
// Serves the shipments delivered in a window (sales, settlements, county figures).
LedgerShipmentSchema.index({ deliveredAt: 1 });

/** An order that was cancelled (order.cancelled): none of its allocations earns anything. */
@Schema({ collection: 'ledger_cancellations', versionKey: false })
export class LedgerCancellation {
  /** The order id. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) cancelledAt!: Date;
}
export const LedgerCancellationSchema = SchemaFactory.createForClass(LedgerCancellation);
