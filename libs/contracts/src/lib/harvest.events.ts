import { Type } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { GeoPoint, isoTime, KG_DECIMALS } from './common';

export class CooperativeSnapshot {
  @IsString() @IsNotEmpty() id!: string;
  @IsString() @IsNotEmpty() name!: string;
  /** County id as in reference/places.json, e.g. `CN-GS-LIXIAN`. */
  @IsString() @IsNotEmpty() county!: string;
  @IsString() @IsNotEmpty() province!: string;
}

export class OrchardSnapshot {
  @IsString() @IsNotEmpty() id!: string;
  @IsString() @IsNotEmpty() name!: string;
  @ValidateNested() @Type(() => GeoPoint) location!: GeoPoint;
}

/** A cooperative logged a harvest lot. Carries what grading and provenance need; never a grower's phone. */
export class LotLoggedV1 {
  static readonly type = 'firstmile.harvest.lot.logged.v1';
  @IsString() @IsNotEmpty() lotId!: string;
  @ValidateNested() @Type(() => CooperativeSnapshot) cooperative!: CooperativeSnapshot;
  @IsString() @IsNotEmpty() growerId!: string;
  /** The grower's name (never the phone), for settlements; absent on events before settlements. */
  @IsOptional() @IsString() @MaxLength(200) growerName?: string;
  @ValidateNested() @Type(() => OrchardSnapshot) orchard!: OrchardSnapshot;
  @IsString() @IsNotEmpty() produce!: string;
  @IsString() @IsNotEmpty() variety!: string;
  @isoTime() harvestedAt!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @IsOptional() @IsInt() @Min(0) crates?: number;
  @IsString() @IsNotEmpty() originWarehouseId!: string;
  @isoTime() loggedAt!: string;
}

export class LotVoidedV1 {
  static readonly type = 'firstmile.harvest.lot.voided.v1';
  @IsString() @IsNotEmpty() lotId!: string;
  @IsString() @IsNotEmpty() cooperativeId!: string;
  @IsString() @MaxLength(500) reason!: string;
  @isoTime() voidedAt!: string;
}
