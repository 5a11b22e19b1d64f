import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsLatitude, IsLongitude, IsNumber, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { TRACKING_STATUSES, type TrackingStatus } from '@firstmile/contracts';

export class CheckpointLocationDto {
  @ApiPropertyOptional({ example: 'Wuhan hub' }) @IsOptional() @IsString() @MaxLength(200) name?: string;
  // Numbers, not numeric strings (which `@IsLatitude` alone passes).
  @ApiPropertyOptional({ example: 30.59 }) @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @IsLatitude() lat?: number;
  @ApiPropertyOptional({ example: 114.31 }) @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @IsLongitude() lon?: number;
}

export class TrackShipmentDto {
  @ApiProperty({ enum: TRACKING_STATUSES }) @IsIn(TRACKING_STATUSES) status!: TrackingStatus;
  @ApiProperty({ example: '2026-11-02T10:00:00Z' }) @IsISO8601({ strict: true }) at!: string;
  @ApiPropertyOptional({ type: CheckpointLocationDto, description: 'With lat and lon, the ETA is recomputed from here' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CheckpointLocationDto)
  location?: CheckpointLocationDto;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) note?: string;
}
