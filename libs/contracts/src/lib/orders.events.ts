import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Destination, GeoPoint, isoTime, KG_DECIMALS, oneOf, ORDER_CHANNELS, type OrderChannel } from './common';
import { CURRENCIES, type Currency } from './money';

export class OrderLine {
  @IsString() @IsNotEmpty() @MaxLength(50) produce!: string;
  @IsString() @IsNotEmpty() @MaxLength(50) minGrade!: string;
  @IsOptional() @IsString() @MaxLength(200) brand?: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
}

export class Allocation {
  /** Index of the order line this allocation serves. */
  @IsInt() @Min(0) line!: number;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @IsString() @IsNotEmpty() subLotId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsString() @IsNotEmpty() shipmentId!: string;
  /** Where the stock leaves from, so shipment consumers can estimate transit without a warehouse lookup. */
  @IsOptional() @ValidateNested() @Type(() => GeoPoint) warehouseLocation?: GeoPoint;
  /**
   * The price in force when the order was routed for the sub-lot's grade and brand on the order's
   * channel, in fen (1/100 CNY) per kg; null when the price list had none. Absent on events of
   * order-routing before prices.
   */
  @IsOptional() @IsInt() @Min(0) unitPriceFen?: number | null;
  /** unitPriceFen × quantityKg in fen, rounded half up; null when unitPriceFen is. */
  @IsOptional() @IsInt() @Min(0) amountFen?: number | null;
  /** The price list version the price came from. */
  @IsOptional() @IsInt() @Min(1) priceListVersion?: number;
}

export class OrderPlacedV1 {
  static readonly type = 'firstmile.orders.order.placed.v1';
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() buyerId!: string;
  @oneOf(ORDER_CHANNELS) channel!: OrderChannel;
  @ValidateNested() @Type(() => Destination) destination!: Destination;
  @IsOptional() @isoTime() deliverBy?: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => OrderLine)
  lines!: OrderLine[];
  @isoTime() placedAt!: string;
}

export class OrderRoutedV1 {
  static readonly type = 'firstmile.orders.order.routed.v1';
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() buyerId!: string;
  @ValidateNested() @Type(() => Destination) destination!: Destination;
  @IsArray() @ValidateNested({ each: true }) @Type(() => Allocation) allocations!: Allocation[];
  @isoTime() placedAt!: string;
  @isoTime() routedAt!: string;
  /** Added with prices: what the read side (insights) needs to count sales without order.placed. */
  @IsOptional() @oneOf(ORDER_CHANNELS) channel?: OrderChannel;
  @IsOptional() @isoTime() deliverBy?: string;
  @IsOptional() @oneOf(CURRENCIES) currency?: Currency;
  /** Σ allocations' amountFen (the priced ones). */
  @IsOptional() @IsInt() @Min(0) totalFen?: number;
}

export class OrderBackorderedV1 {
  static readonly type = 'firstmile.orders.order.backordered.v1';
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() buyerId!: string;
  @IsString() reason!: string;
  @isoTime() at!: string;
}

export class OrderRejectedV1 {
  static readonly type = 'firstmile.orders.order.rejected.v1';
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() buyerId!: string;
  @IsString() reason!: string;
  @isoTime() at!: string;
}

export class OrderCancelledV1 {
  static readonly type = 'firstmile.orders.order.cancelled.v1';
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() buyerId!: string;
  @IsOptional() @IsString() reason?: string;
  @isoTime() at!: string;
}

/** Every shipment of a routed order was delivered. */
export class OrderFulfilledV1 {
  static readonly type = 'firstmile.orders.order.fulfilled.v1';
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() buyerId!: string;
  @IsArray() @IsString({ each: true }) shipments!: string[];
  @isoTime() at!: string;
}
