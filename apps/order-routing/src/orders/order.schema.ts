import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ORDER_CHANNELS, type OrderChannel } from '@firstmile/contracts';
import { GeoPointDoc, outboxPlugin, type OutboxFields } from '@firstmile/persistence';

/**
 * `cancelling`: a routed order whose buyer asked to cancel; the warehouse releases its reservations
 * or refuses those whose stock has left, and the order ends `cancelled` or, if anything had left,
 * `routed` with what left (see order-saga.ts `cancelAnswered`).
 */
export const ORDER_STATUSES = ['received', 'routed', 'backordered', 'rejected', 'cancelled', 'fulfilled', 'cancelling'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * A reservation's life as the order sees it. `abandoned`: asked for by an attempt that is over
 * (re-routed, given up, cancelled) before the warehouse answered; if the answer is "reserved",
 * it is released at once. `releasing`: a cancellation asked the warehouse to release it and waits
 * for the answer: `released`, or `dispatched` (refused: its stock had left). `lapsed`: the
 * warehouse no longer held it when the order confirmed it (its TTL had passed).
 */
export type ReservationState = 'pending' | 'reserved' | 'rejected' | 'abandoned' | 'released' | 'releasing' | 'dispatched' | 'lapsed';

@Schema({ _id: false })
export class DestinationDoc {
  @Prop({ required: true }) city!: string;
  @Prop({ type: GeoPointDoc, required: true }) location!: GeoPointDoc;
  @Prop() address?: string;
}

@Schema({ _id: false })
export class OrderLineDoc {
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) minGrade!: string;
  @Prop() brand?: string;
  @Prop({ required: true }) quantityKg!: number;
}

@Schema({ _id: false })
export class AllocationDoc {
  @Prop({ required: true }) line!: number;
  @Prop({ required: true }) warehouseId!: string;
  @Prop({ type: GeoPointDoc, required: true }) warehouseLocation!: GeoPointDoc;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) quantityKg!: number;
  @Prop({ required: true }) reservationId!: string;
  @Prop({ required: true }) shipmentId!: string;
  @Prop({ required: true }) mustLastUntil!: Date;
  /** Fen per kg in force when routed for the sub-lot's grade, brand and the order's channel; null when none applied (absent on orders routed before prices). */
  @Prop({ type: Number, default: null }) unitPriceFen?: number | null;
  /** unitPriceFen × quantityKg, rounded half up to the fen. */
  @Prop({ type: Number, default: null }) amountFen?: number | null;
  @Prop() priceListVersion?: number;
}

/**
 * An order and its whole saga in one document: every step (route, reserved, refused, re-route,
 * routed, cancelled, fulfilled) is one conditional write of it, guarded by `rev`, together with
 * the commands and events it causes (outbox).
 */
// minimize: false keeps the empty maps, so readers never meet a missing `reservations`.
@Schema({ collection: 'orders', versionKey: false, minimize: false })
export class Order implements OutboxFields {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) buyerId!: string;
  /** Hash of the request body that placed it under an Idempotency-Key: a retry with another body is 422. */
  @Prop() requestHash?: string;
  @Prop({ type: String, required: true, enum: ORDER_CHANNELS }) channel!: OrderChannel;
  @Prop({ type: DestinationDoc, required: true }) destination!: DestinationDoc;
  @Prop() deliverBy?: Date;
  @Prop({ type: [SchemaFactory.createForClass(OrderLineDoc)], required: true }) lines!: OrderLineDoc[];
  @Prop({ type: String, required: true, enum: ORDER_STATUSES }) status!: OrderStatus;
  @Prop() reason?: string;
  /** Routing attempts so far; the allocations are the latest attempt's. */
  @Prop({ required: true, default: 0 }) attempt!: number;
  @Prop({ type: [SchemaFactory.createForClass(AllocationDoc)], default: [] }) allocations!: AllocationDoc[];
  /** Every reservation ever asked for, by id: a map, so one state is one `$set` of a dotted path. */
  @Prop({ type: Object, default: {} }) reservations!: Record<string, ReservationState>;
  @Prop({ type: [String], default: [] }) shipments!: string[];
  /** Last known status per shipment, from this service's own shipment events. */
  @Prop({ type: Object, default: {} }) shipmentStatus!: Record<string, string>;
  /** Optimistic concurrency: every write is conditional on the revision it read. */
  @Prop({ required: true, default: 0 }) rev!: number;
  /** Left by the last write: after a bulk write in which some lost their race, tells which won (see OrdersRepository.writeAll). */
  @Prop() writeToken?: string;
  @Prop({ required: true }) placedAt!: Date;
  @Prop() routedAt?: Date;
  @Prop() closedAt?: Date;
  /** Why a cancellation was refused (stock of the order had left the warehouse before it reached it). */
  @Prop() cancelRefused?: string;
  @Prop({ required: true }) updatedAt!: Date;
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const OrderSchema = SchemaFactory.createForClass(Order);
OrderSchema.plugin(outboxPlugin);
// Serves a buyer's own orders, newest first (?status and ?channel are read off them in that order).
OrderSchema.index({ buyerId: 1, placedAt: -1, _id: -1 });
// Serves ops' GET /v1/orders across buyers, newest first (?channel read off in that order).
OrderSchema.index({ placedAt: -1, _id: -1 });
// Serves the backorder sweep (waiting orders, longest first) and ops' ?status=… (newest first:
// the same index read backwards).
OrderSchema.index({ status: 1, placedAt: 1, _id: 1 });
