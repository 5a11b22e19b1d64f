import { Type } from 'class-transformer';
import {
  IsIn,
  IsISO8601,
  IsLatitude,
  IsLongitude,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/** The produce the catalog knows by default; deployments may add more through configuration. */
export const DEFAULT_PRODUCE = ['apple', 'passion_fruit', 'navel_orange', 'tribute_mandarin', 'pineapple'] as const;

export const ORDER_CHANNELS = ['livestream', 'marketplace', 'wholesale', 'retail'] as const;
export type OrderChannel = (typeof ORDER_CHANNELS)[number];

/** Statuses a logistics operator may post (API.md `POST /v1/shipments/{id}/tracking`). */
export const TRACKING_STATUSES = [
  'info_received',
  'in_transit',
  'out_for_delivery',
  'attempt_fail',
  'delivered',
  'available_for_pickup',
  'exception',
] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/** Every status a shipment can be in: created at routing, dispatched by the warehouse, then tracking. */
export const SHIPMENT_STATUSES = ['created', 'dispatched', ...TRACKING_STATUSES] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** Kilograms carry at most three decimals: grams are the smallest unit anyone weighs. */
export const KG_DECIMALS = { maxDecimalPlaces: 3 } as const;

/**
 * Kilograms (≤ 3 decimals) to whole grams and back: all arithmetic on quantities happens in integer
 * grams, so splitting a quantity and adding the parts back up is exact.
 */
export const toGrams = (kg: number): number => Math.round(kg * 1000);
export const toKg = (grams: number): number => grams / 1000;

/**
 * Coordinates are numbers: `@IsLatitude`/`@IsLongitude` alone also pass numeric strings ("34.2"),
 * which were then stored and published as strings.
 */
export class GeoPoint {
  @IsNumber({ allowNaN: false, allowInfinity: false }) @IsLatitude() lat!: number;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @IsLongitude() lon!: number;
}

/** Nested objects are `@IsObject()` too: `@ValidateNested()` alone lets an array through and walks it. */
export class Place {
  @IsOptional() @IsString() @MaxLength(200) name?: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => GeoPoint) location?: GeoPoint;
}

export class Destination {
  @IsString() @IsNotEmpty() @MaxLength(100) city!: string;
  @IsObject() @ValidateNested() @Type(() => GeoPoint) location!: GeoPoint;
  @IsOptional() @IsString() @MaxLength(300) address?: string;
}

/** A sub-lot's stock figures at one warehouse after the change an event reports. */
export class StockLevel {
  @IsNumber(KG_DECIMALS) @Min(0) onHandKg!: number;
  @IsNumber(KG_DECIMALS) @Min(0) reservedKg!: number;
  @IsNumber(KG_DECIMALS) @Min(0) availableKg!: number;
  /** Monotonic per stock position, so read models keep only the newest figures. */
  @IsNumber() @Min(0) version!: number;
}

export const isoTime = () => IsISO8601({ strict: true });
export const oneOf = <T extends readonly string[]>(values: T) => IsIn(values as unknown as string[]);
