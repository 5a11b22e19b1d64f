import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { appliedEventsPlugin, outboxPlugin, type OutboxFields } from '@firstmile/persistence';
import { LEDGER_KINDS, type LedgerEntry, type LedgerKind, type Position, RESERVATION_STATUSES, type Reservation, type ReservationStatus } from './stock-position';

@Schema({ _id: false })
export class GeoPointDoc {
  @Prop({ required: true }) lat!: number;
  @Prop({ required: true }) lon!: number;
}

/**
 * One sub-lot at one warehouse: its figures and version, and the writes its last changes still owe
 * other documents. A change is ONE conditional update of this document (FerretDB has no
 * transactions): the figures, the events it causes (outbox) and, in `pending`, the reservation and
 * ledger documents it writes. Those are written right after and the entry cleared; after a crash,
 * the next reader of the position, or the recovery sweep, writes them again (idempotently) before
 * anything else is decided. So the document stays small however many reservations it has had.
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
  /** Writes owed to the reservation and ledger collections, by `v<version>` of the change that owes them. */
  @Prop({ type: Object, default: {} }) pending!: Record<string, PendingWrites>;
  /** How many entries `pending` has: what the recovery sweep looks for. */
  @Prop({ required: true, default: 0 }) pendingCount!: number;
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const StockPositionSchema = SchemaFactory.createForClass(StockPosition);
StockPositionSchema.plugin(outboxPlugin);
StockPositionSchema.plugin(appliedEventsPlugin);
// Serves GET /v1/warehouses/:id/stock (cursor on _id).
StockPositionSchema.index({ warehouseId: 1, _id: 1 });
// Serves the write-off job: { bestBefore: { $lt: now }, availableG: { $gt: 0 } }.
StockPositionSchema.index({ bestBefore: 1 });
// Serves the recovery sweep: { pendingCount: { $gt: 0 } }.
StockPositionSchema.index({ pendingCount: 1 });

/**
 * A reservation: held, then confirmed for a shipment and dispatched, or released; or the record of
 * a refusal (`rejected`, with the answer's event in its outbox), so a reservation id is answered once.
 * Its id is the reservation id.
 */
@Schema({ collection: 'stock_reservations', versionKey: false })
export class StockReservation implements Reservation, OutboxFields {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) reservationId!: string;
  /** `<warehouseId>:<subLotId>`; the position may not exist (a refusal for unknown stock). */
  @Prop({ required: true }) positionId!: string;
  @Prop({ required: true }) warehouseId!: string;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) orderId!: string;
  @Prop({ required: true }) quantityG!: number;
  @Prop({ type: String, required: true, enum: RESERVATION_STATUSES }) status!: ReservationStatus;
  @Prop({ required: true }) at!: Date;
  @Prop({ type: Date, default: null }) expiresAt!: Date | null;
  @Prop({ type: String, default: null }) shipmentId!: string | null;
  @Prop({ type: Date, default: null }) closedAt!: Date | null;
  @Prop({ type: String, default: null }) reason!: string | null;
  /**
   * The position's version when this state was written (0 for a refusal, which changes no position).
   * A state is only ever replaced by one of a newer version: a replica that writes what a change
   * owes late, after a newer change of the same reservation was written, changes nothing.
   */
  @Prop({ type: Number, default: 0 }) positionVersion!: number;
  /** The answers given to commands that came after it closed (`lapsed`, `release_refused`): each is given once. */
  @Prop({ type: [String], default: undefined }) answered?: string[];
  outbox!: OutboxFields['outbox'];
  outboxSize!: number;
}

export const StockReservationSchema = SchemaFactory.createForClass(StockReservation);
StockReservationSchema.plugin(outboxPlugin);
// Serves the expiry sweep: { status: 'held', expiresAt: { $lte: now } }.
StockReservationSchema.index({ status: 1, expiresAt: 1 });
// Serves POST /v1/warehouses/:id/dispatches: { warehouseId, shipmentId }.
StockReservationSchema.index({ warehouseId: 1, shipmentId: 1 });

/** One append-only stock movement of a position. */
@Schema({ collection: 'stock_ledger', versionKey: false })
export class StockLedgerEntry implements LedgerEntry {
  /** `<at ISO>|<position id>|<version>|<n>`: sorts by time, unique, and serves as the list cursor. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) positionId!: string;
  @Prop({ required: true }) warehouseId!: string;
  @Prop({ required: true }) subLotId!: string;
  @Prop({ required: true }) lotId!: string;
  @Prop({ type: String, required: true, enum: LEDGER_KINDS }) kind!: LedgerKind;
  @Prop({ required: true }) quantityG!: number;
  @Prop({ required: true }) onHandDeltaG!: number;
  @Prop({ required: true }) reservedDeltaG!: number;
  @Prop({ required: true }) onHandG!: number;
  @Prop({ required: true }) reservedG!: number;
  @Prop({ required: true }) version!: number;
  @Prop({ required: true }) at!: Date;
  @Prop() reason?: string;
  @Prop() reservationId?: string;
  @Prop() orderId?: string;
  @Prop() transferId?: string;
  @Prop() shipmentId?: string;
}

export const StockLedgerEntrySchema = SchemaFactory.createForClass(StockLedgerEntry);
// Serve GET /v1/warehouses/:id/ledger (cursor on _id, which sorts by time), with or without a sub-lot.
StockLedgerEntrySchema.index({ warehouseId: 1, _id: 1 });
StockLedgerEntrySchema.index({ warehouseId: 1, subLotId: 1, _id: 1 });

/** What a change owes the reservation and ledger collections (plain documents, written by id). */
export interface PendingWrites {
  reservations: Array<Omit<StockReservation, 'outbox' | 'outboxSize'>>;
  entries: StockLedgerEntry[];
}

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
