import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsNotEmpty, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class LogLotDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(40) cooperativeId!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(40) growerId!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(40) orchardId!: string;
  @ApiProperty({ example: 'apple' }) @Matches(/^[a-z_]{2,40}$/) produce!: string;
  @ApiProperty({ example: 'Fuji' }) @IsString() @IsNotEmpty() @MaxLength(100) variety!: string;
  @ApiProperty({ example: '2026-10-20T08:00:00Z', description: 'Not in the future, not older than 30 days' })
  @IsISO8601({ strict: true, strictSeparator: true }) harvestedAt!: string;
  @ApiProperty({ example: 1200.5, minimum: 0.001, maximum: 100000 })
  @IsNumber({ maxDecimalPlaces: 3, allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(100000) quantityKg!: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(100000) crates?: number;
  @ApiProperty({ example: 'WH-LIXIAN-ORIGIN' }) @Matches(/^[A-Z0-9-]{2,40}$/) originWarehouseId!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) notes?: string;
}

export class VoidLotDto {
  @ApiProperty({ example: 'Logged twice by mistake' }) @IsString() @IsNotEmpty() @MaxLength(500) reason!: string;
}
