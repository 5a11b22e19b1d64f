import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { GeoPoint, isoTime, KG_DECIMALS, StockLevel } from './common';

/** What order-routing needs to know about a sub-lot to route to it, repeated on every stock event. */
export class StockItem {
  @IsString() @IsNotEmpty() warehouseId!: string;
  /** Where the stock is, so routers can estimate transit without asking the warehouse service. */
  @ValidateNested() @Type(() => GeoPoint) warehouseLocation!: GeoPoint;
  @IsString() @IsNotEmpty() subLotId!: string;
  @IsString() @IsNotEmpty() lotId!: string;
  @IsString() @IsNotEmpty() produce!: string;
  @IsString() @IsNotEmpty() variety!: string;
  @IsString() @IsNotEmpty() grade!: string;
  @IsOptional() @IsString() brand!: string | null;
  @IsString() @IsNotEmpty() traceCode!: string;
  @isoTime() bestBefore!: string;
  @ValidateNested() @Type(() => StockLevel) stock!: StockLevel;
}

export class StockReceivedV1 extends StockItem {
  static readonly type = 'firstmile.warehouse.stock.received.v1';
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @IsIn(['grading', 'transfer']) via!: 'grading' | 'transfer';
  @IsOptional() @IsString() transferId?: string;
  @isoTime() receivedAt!: string;
}

export class StockReservedV1 extends StockItem {
  static readonly type = 'firstmile.warehouse.stock.reserved.v1';
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @isoTime() expiresAt!: string;
  @isoTime() reservedAt!: string;
}

export class ReservationRejectedV1 {
  static readonly type = 'firstmile.warehouse.reservation.rejected.v1';
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @IsString() @IsNotEmpty() subLotId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @IsIn(['insufficient_stock', 'unknown_stock', 'expires_too_soon']) reason!: string;
  /** The position's figures when the reservation was refused, so the router's view catches up. */
  @IsOptional() @ValidateNested() @Type(() => StockLevel) stock?: StockLevel;
  @isoTime() rejectedAt!: string;
}

export class ReservationReleasedV1 extends StockItem {
  static readonly type = 'firstmile.warehouse.reservation.released.v1';
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsNumber(KG_DECIMALS) @Min(0) quantityKg!: number;
  @IsIn(['requested', 'expired']) reason!: 'requested' | 'expired';
  @isoTime() releasedAt!: string;
}

/** The reservation a late answer of the warehouse is about (a lapse, a refused release). */
export class LateReservationAnswer {
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  /** The shipment the command named. */
  @IsString() @IsNotEmpty() shipmentId!: string;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @IsString() @IsNotEmpty() subLotId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
}

/**
 * The answer to a confirmation of a reservation the warehouse no longer holds: it lapsed (its TTL
 * passed before the confirmation came: reason "expired") or was released on request. Answered once
 * per reservation. Order-routing routes the order again: it must not stay routed on stock it does
 * not hold.
 */
export class ReservationLapsedV1 extends LateReservationAnswer {
  static readonly type = 'firstmile.warehouse.reservation.lapsed.v1';
  @IsIn(['expired', 'requested']) reason!: 'expired' | 'requested';
  /** When the reservation stopped being held. */
  @isoTime() releasedAt!: string;
  @isoTime() lapsedAt!: string;
}

/**
 * The answer to a release of a reservation whose stock has already left the warehouse (reason
 * "already_dispatched"): nothing was released. Answered once per reservation. A cancellation that
 * meets it is refused for that shipment.
 */
export class ReservationReleaseRefusedV1 extends LateReservationAnswer {
  static readonly type = 'firstmile.warehouse.reservation.release-refused.v1';
  @IsIn(['already_dispatched']) reason!: 'already_dispatched';
  @isoTime() dispatchedAt!: string;
  @isoTime() refusedAt!: string;
}

export class TransferDispatchedV1 extends StockItem {
  static readonly type = 'firstmile.warehouse.transfer.dispatched.v1';
  @IsString() @IsNotEmpty() transferId!: string;
  @IsString() @IsNotEmpty() toWarehouseId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @isoTime() dispatchedAt!: string;
}

export class TransferReceivedV1 extends StockItem {
  static readonly type = 'firstmile.warehouse.transfer.received.v1';
  @IsString() @IsNotEmpty() transferId!: string;
  @IsString() @IsNotEmpty() fromWarehouseId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @isoTime() receivedAt!: string;
}

export class DispatchedItem extends StockItem {
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
}

export class StockDispatchedV1 {
  static readonly type = 'firstmile.warehouse.stock.dispatched.v1';
  @IsString() @IsNotEmpty() shipmentId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => DispatchedItem) items!: DispatchedItem[];
  @isoTime() dispatchedAt!: string;
}

/** Command from order-routing: hold this much of a sub-lot for an order. */
export class ReserveStockV1 {
  static readonly type = 'firstmile.warehouse.reserve-stock.v1';
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @IsString() @IsNotEmpty() subLotId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  /** The stock must still be good on this day: arrival plus the buyer's margin. */
  @isoTime() mustLastUntil!: string;
  @isoTime() requestedAt!: string;
}

export class ReleaseReservationV1 {
  static readonly type = 'firstmile.warehouse.release-reservation.v1';
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @IsString() @IsNotEmpty() subLotId!: string;
  @IsString() @MaxLength(200) reason!: string;
  @isoTime() requestedAt!: string;
}

/** Command from order-routing: a routed shipment's reservations are confirmed (no expiry sweep). */
export class ConfirmReservationV1 {
  static readonly type = 'firstmile.warehouse.confirm-reservation.v1';
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() shipmentId!: string;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @IsString() @IsNotEmpty() subLotId!: string;
  @isoTime() requestedAt!: string;
}

/** Stock left the books without leaving by road: past its best-before (reason "expired"), damaged, lost. */
export class StockWrittenOffV1 extends StockItem {
  static readonly type = 'firstmile.warehouse.stock.written-off.v1';
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @IsString() @IsNotEmpty() @MaxLength(200) reason!: string;
  @isoTime() writtenOffAt!: string;
}
