import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { appliedEventsPlugin, outboxPlugin, type OutboxFields } from '@firstmile/persistence';
import { LEDGER_KINDS, type LedgerEntry, type LedgerKind, type Position, type Reservation } from './stock-position';

@Schema({ _id: false })
export class GeoPointDoc {
  @Prop({ required: true }) lat!: number;
  @Prop({ required: true }) lon!: number;
}

@Schema({ _id: false })
export class LedgerEntryDoc implements LedgerEntry {
  /** `<at ISO>|<position id>|<version>|<n>`: sorts by time, unique, and serves as the list cursor. */
  @Prop({ required: true }) id!: string;
  @Prop({ type: String, required: true, enum: LEDGER_KINDS }) kind!: LedgerKind;
  @Prop({ required: true }) quantityG!: number;
  @Prop({ required: true }) onHandDeltaG!: number;
  @Prop({ required: true }) reservedDeltaG!: number;
  @Prop({ required: true }) onHandG!: number;
  @Prop({ required: true }) reservedG!: number;
  @Prop({ required: true }) version!: number;
  @Prop({ required: true }) at!: Date;
  @Prop() reason?: string;
  @Prop() lotId?: string;
  @Prop() reservationId?: string;
  @Prop() orderId?: string;
  @Prop() transferId?: string;
  @Prop() shipmentId?: string;
}

/**
 * One sub-lot at one warehouse: its figures, its open and closed reservations, and its append-only
 * ledger, all in ONE document. FerretDB has no transactions, so a movement, its ledger entry, the
 * command it answers and the events it causes are one conditional single-document write.
 */
@Schema({ collection: 'stock_positions', versionKey: false, minimize: false })
export class StockPosition implements Position, OutboxFields {
  /** `<warehouseId>:<subLotId>`. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) warehouseId!: string;
  @Prop({ type: GeoPointDoc, required: true }) warehouseLocation!: GeoPointDoc;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) lotId!: string;
  @Prop({ required: true }) produce!: string;
  @Prop({ required: true }) variety!: string;
  @Prop({ required: true }) grade!: string;
  @Prop({ type: String, default: null }) brand!: string | null;
  @Prop({ required: true }) traceCode!: string;
  @Prop({ required: true }) bestBefore!: Date;
  /** When stock first arrived here; null for a destination prepared for a transfer still on the road. */
  @Prop({ type: Date, default: null }) receivedAt!: Date | null;
  @Prop({ required: true, default: 0 }) onHandG!: number;
  @Prop({ required: true, default: 0 }) reservedG!: number;
  @Prop({ required: true, default: 0 }) availableG!: number;
  @Prop({ required: true, default: 0 }) version!: number;
  @Prop({ type: Date, default: null }) nextExpiryAt!: Date | null;
  @Prop({ type: Object, default: {} }) reservations!: Record<string, Reservation>;
  /** Shipments with reservations confirmed here: how a dispatch finds its positions. */
  @Prop({ type: [String], default: [] }) shipments!: string[];
  @Prop({ type: [SchemaFactory.createForClass(LedgerEntryDoc)], default: [] }) ledger!: LedgerEntryDoc[];
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const StockPositionSchema = SchemaFactory.createForClass(StockPosition);
StockPositionSchema.plugin(outboxPlugin);
StockPositionSchema.plugin(appliedEventsPlugin);
// Serves GET /v1/warehouses/:id/stock (cursor on _id) and the ledger aggregation's $match.
StockPositionSchema.index({ warehouseId: 1, _id: 1 });
// Serves the expiry sweep: { nextExpiryAt: { $lte: now } }.
StockPositionSchema.index({ nextExpiryAt: 1 });
// Serves the write-off job: { bestBefore: { $lt: now }, availableG: { $gt: 0 } }.
StockPositionSchema.index({ bestBefore: 1 });
// Serves POST /v1/warehouses/:id/dispatches: { warehouseId, shipments: shipmentId }.
StockPositionSchema.index({ warehouseId: 1, shipments: 1 });

/** A reservation refused because the stock does not exist here: no position to keep the answer in. */
@Schema({ collection: 'unknown_stock_answers', versionKey: false })
export class UnknownStockAnswer implements OutboxFields {
  /** The reservation id: a second command for it finds the answer already given (E11000). */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) warehouseId!: string;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) answeredAt!: Date;
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const UnknownStockAnswerSchema = SchemaFactory.createForClass(UnknownStockAnswer);
UnknownStockAnswerSchema.plugin(outboxPlugin);

@Schema({ _id: false })
export class DispatchedItemDoc {
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) reservationId!: string;
  @Prop({ required: true }) quantityG!: number;
}

/** A shipment's departure from one warehouse; its event lives here because it spans positions. */
@Schema({ collection: 'dispatches', versionKey: false })
export class Dispatch implements OutboxFields {
  /** `<warehouseId>:<shipmentId>`: one dispatch per shipment and warehouse. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) warehouseId!: string;
  @Prop({ required: true }) shipmentId!: string;
  @Prop({ required: true }) orderId!: string;
  @Prop({ type: [SchemaFactory.createForClass(DispatchedItemDoc)], required: true }) items!: DispatchedItemDoc[];
  @Prop({ required: true }) dispatchedAt!: Date;
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const DispatchSchema = SchemaFactory.createForClass(Dispatch);
DispatchSchema.plugin(outboxPlugin);
