import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CURRENCIES, type Currency, MONEY_PATTERN, ORDER_CHANNELS, type OrderChannel } from '@firstmile/contracts';

export const PRODUCE_PATTERN = /^[a-z_]{2,40}$/;

export class PriceEntryDto {
  @ApiProperty({ example: 'premium', pattern: '^[a-z0-9_]{1,40}$' }) @Matches(/^[a-z0-9_]{1,40}$/) grade!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Lixian Apple (礼县苹果)', description: 'The brand, or null for the unbranded price of the grade' })
  @ValidateIf((o: PriceEntryDto) => o.brand !== null)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  brand!: string | null;
  @ApiPropertyOptional({ enum: ORDER_CHANNELS, description: 'Only on this channel; without it, on every channel that has no entry of its own' })
  @IsOptional()
  @IsIn(ORDER_CHANNELS)
  channel?: OrderChannel;
  @ApiProperty({ example: '16.80', pattern: MONEY_PATTERN.source, description: 'CNY per kg, a decimal string with up to two decimals (no floating-point money)' })
  @IsString()
  @Matches(MONEY_PATTERN, { message: 'pricePerKg must be yuan with up to two decimals, as a string, e.g. "16.80"' })
  pricePerKg!: string;
}

export class PutPricesDto {
  @ApiProperty({ enum: CURRENCIES }) @IsIn(CURRENCIES) currency!: Currency;
  @ApiProperty({ type: [PriceEntryDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => PriceEntryDto)
  entries!: PriceEntryDto[];
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'When the list takes effect (default: now); not in the past' })
  @IsOptional()
  @IsISO8601({ strict: true })
  effectiveAt?: string;
}

export class PriceQuery {
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: 'The list in force at this time (default: now)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class PriceEntryView {
  @ApiProperty() grade!: string;
  @ApiProperty({ type: String, nullable: true }) brand!: string | null;
  @ApiPropertyOptional({ enum: ORDER_CHANNELS }) channel?: OrderChannel;
  @ApiProperty({ example: '16.80' }) pricePerKg!: string;
}

export class PriceListView {
  @ApiProperty({ example: 'apple' }) produce!: string;
  @ApiProperty({ enum: CURRENCIES }) currency!: Currency;
  @ApiProperty({ example: 3, description: 'Increases by one with every list set for this produce' }) version!: number;
  @ApiProperty() effectiveAt!: string;
  @ApiProperty({ type: [PriceEntryView] }) entries!: PriceEntryView[];
  @ApiProperty() setAt!: string;
}

