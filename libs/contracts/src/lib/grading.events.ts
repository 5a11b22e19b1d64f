import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Min,
  ValidateNested,
} from 'class-validator';
import { isoTime, KG_DECIMALS } from './common';

export class GradedSubLot {
  @IsString() @IsNotEmpty() subLotId!: string;
  @IsString() @IsNotEmpty() grade!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) quantityKg!: number;
  @IsOptional() @IsString() brand!: string | null;
  @IsString() @IsNotEmpty() traceCode!: string;
  @isoTime() bestBefore!: string;
}

/** A lot was graded into sub-lots (the lineage lot → sub-lots); Σ sub-lots + cull = the lot's kilograms. */
export class LotGradedV1 {
  static readonly type = 'firstmile.grading.lot.graded.v1';
  @IsString() @IsNotEmpty() lotId!: string;
  @IsString() @IsNotEmpty() cooperativeId!: string;
  @IsString() @IsNotEmpty() originWarehouseId!: string;
  @IsString() @IsNotEmpty() produce!: string;
  @IsString() @IsNotEmpty() variety!: string;
  @IsString() @IsNotEmpty() standard!: string;
  @IsNumber(KG_DECIMALS) @Min(0.001) lotQuantityKg!: number;
  @IsNumber(KG_DECIMALS) @Min(0) cullKg!: number;
  @isoTime() gradedAt!: string;
  @IsArray() @ArrayMinSize(0) @ValidateNested({ each: true }) @Type(() => GradedSubLot) subLots!: GradedSubLot[];
}
