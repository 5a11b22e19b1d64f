import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsNumber,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export const MAX_FRUITS_PER_BATCH = 10_000;

export class FruitDto {
  @ApiProperty({ example: 245.3 }) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.1) @Max(5000) weightG!: number;
  @ApiPropertyOptional({ example: 78.5 }) @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(1) @Max(300) diameterMm?: number;
  @ApiPropertyOptional({ example: 85 }) @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(100) colorCoveragePct?: number;
  @ApiPropertyOptional({ example: ['bruise_slight'], description: 'Defect types, as the standards name them (GET /v1/standards)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[a-z0-9_]{1,40}$/, { each: true })
  defects?: string[];
}

export class MeasurementBatchDto {
  @ApiProperty({ example: 'line-2-2026-10-21T08:00:00-0001', description: 'Unique per batch; resending a batch id changes nothing' })
  @Matches(/^[A-Za-z0-9_:-]{1,100}$/, { message: 'batchId must be 1-100 letters, digits, _, : or -' })
  batchId!: string;

  @ApiProperty({ type: [FruitDto], maxItems: MAX_FRUITS_PER_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FRUITS_PER_BATCH)
  @ValidateNested({ each: true })
  @Type(() => FruitDto)
  fruits!: FruitDto[];
}
