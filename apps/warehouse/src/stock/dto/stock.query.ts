import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '@firstmile/http';
import { LEDGER_KINDS, type LedgerKind } from '../stock-position';

export class StockQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'apple' }) @IsOptional() @Matches(/^[a-z_]{2,40}$/) produce?: string;
  @ApiPropertyOptional({ example: 'grade_1' }) @IsOptional() @IsString() @MaxLength(50) grade?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(60) subLotId?: string;
}

export class LedgerQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(60) subLotId?: string;
  @ApiPropertyOptional({ enum: LEDGER_KINDS }) @IsOptional() @IsIn(LEDGER_KINDS) kind?: LedgerKind;
}

export class DispatchDto {
  @ApiProperty({ example: 'SHP-7K3QH9WZ2M' }) @IsString() @IsNotEmpty() @MaxLength(60) shipmentId!: string;
}
