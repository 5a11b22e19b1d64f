import { Type } from 'class-transformer';
import {
  IsArray,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Destination, isoTime, KG_DECIMALS, oneOf, Place, SHIPMENT_STATUSES, type ShipmentStatus } from './common';

export class ShipmentItem {
  @IsString() @IsNotEmpty() subLotId!: string;
  @IsString() @IsNotEmpty() reservationId!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
}

export class ShipmentCreatedV1 {
  static readonly type = 'firstmile.shipments.shipment.created.v1';
  @IsString() @IsNotEmpty() shipmentId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() buyerId!: string;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @ValidateNested() @Type(() => Destination) destination!: Destination;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ShipmentItem) items!: ShipmentItem[];
  @isoTime() eta!: string;
  @isoTime() createdAt!: string;
}

export class ShipmentStatusChangedV1 {
  static readonly type = 'firstmile.shipments.shipment.status-changed.v1';
  @IsString() @IsNotEmpty() shipmentId!: string;
  @IsString() @IsNotEmpty() orderId!: string;
  @IsString() @IsNotEmpty() warehouseId!: string;
  @oneOf(SHIPMENT_STATUSES) status!: ShipmentStatus;
  @IsArray() @IsString({ each: true }) subLotIds!: string[];
  @isoTime() at!: string;
  @IsOptional() @ValidateNested() @Type(() => Place) location?: Place;
  @IsOptional() @IsString() @MaxLength(500) note?: string;
  @IsOptional() @isoTime() eta?: string;
}
