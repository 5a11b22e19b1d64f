import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsLatitude,
  IsLongitude,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ORDER_CHANNELS, type OrderChannel } from '@firstmile/contracts';

export class GeoPointDto {
  // @IsLatitude alone takes numeric strings, which would be stored and published as strings.
  @ApiProperty({ example: 30.27 }) @IsNumber({ allowNaN: false, allowInfinity: false }) @IsLatitude() lat!: number;
  @ApiProperty({ example: 120.15 }) @IsNumber({ allowNaN: false, allowInfinity: false }) @IsLongitude() lon!: number;
}

export class DestinationDto {
  @ApiProperty({ example: 'Hangzhou' }) @IsString() @IsNotEmpty() @MaxLength(100) city!: string;
  @ApiProperty({ type: GeoPointDto }) @IsObject() @ValidateNested() @Type(() => GeoPointDto) location!: GeoPointDto;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(300) address?: string;
}

export class OrderLineDto {
  /** Any produce name is accepted here; one the catalog does not know ends the order `rejected`. */
  @ApiProperty({ example: 'apple' }) @Matches(/^[a-z_]{2,40}$/) produce!: string;
  @ApiProperty({ example: 'grade_1', description: 'This grade or better' }) @Matches(/^[a-z0-9_]{1,40}$/) minGrade!: string;
  @ApiPropertyOptional({ example: 'Lixian Apple (礼县苹果)' }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) brand?: string;
  @ApiProperty({ example: 20, minimum: 0.001, maximum: 100000 })
  @IsNumber({ maxDecimalPlaces: 3, allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(100000)
  quantityKg!: number;
}

export class PlaceOrderDto {
  @ApiProperty({ enum: ORDER_CHANNELS }) @IsIn(ORDER_CHANNELS) channel!: OrderChannel;
  @ApiProperty({ type: DestinationDto }) @IsObject() @ValidateNested() @Type(() => DestinationDto) destination!: DestinationDto;
  @ApiPropertyOptional({ example: '2026-11-10T00:00:00Z' }) @IsOptional() @IsISO8601({ strict: true }) deliverBy?: string;
  @ApiProperty({ type: [OrderLineDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  lines!: OrderLineDto[];
}

export class CancelOrderDto {
  @ApiPropertyOptional({ example: 'Live stream cancelled' }) @IsOptional() @IsString() @MaxLength(500) reason?: string;
}
