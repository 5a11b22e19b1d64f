import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { GeoPoint } from '@firstmile/contracts';
import { PageQuery } from '@firstmile/http';
import { WAREHOUSE_KINDS, type WarehouseKind } from '../warehouse.schema';

export class GeoPointDto extends GeoPoint {
  @ApiProperty({ example: 30.27 }) declare lat: number;
  @ApiProperty({ example: 120.15 }) declare lon: number;
}

export class CreateWarehouseDto {
  @ApiPropertyOptional({ example: 'DC-NANJING', description: 'Chosen id; generated (WH-…) when absent' })
  @IsOptional() @Matches(/^[A-Z0-9-]{2,40}$/, { message: 'id must be 2-40 capital letters, digits or dashes' }) id?: string;

  @ApiProperty({ example: 'Nanjing distribution center' }) @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @ApiProperty({ enum: WAREHOUSE_KINDS }) @IsIn(WAREHOUSE_KINDS) kind!: WarehouseKind;
  @ApiProperty({ example: 'Nanjing' }) @IsString() @IsNotEmpty() @MaxLength(100) city!: string;

  @ApiPropertyOptional({ example: 'CN-GS-LIXIAN', description: 'County id (origin warehouses)' })
  @IsOptional() @Matches(/^[A-Z]{2}-[A-Z]{2}-[A-Z0-9]{2,40}$/, { message: 'county must be a county id such as CN-GS-LIXIAN' })
  county?: string;

  @ApiProperty({ type: GeoPointDto }) @IsObject() @ValidateNested() @Type(() => GeoPointDto) location!: GeoPointDto;
}

export class ListWarehousesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: WAREHOUSE_KINDS }) @IsOptional() @IsIn(WAREHOUSE_KINDS) kind?: WarehouseKind;
}
