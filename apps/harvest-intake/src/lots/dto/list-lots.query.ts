import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '@firstmile/http';
import { LOT_STATUSES, type LotStatus } from '../lot.schema';

export class ListLotsQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) cooperativeId?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^[a-z_]{2,40}$/) produce?: string;
  @ApiPropertyOptional({ enum: LOT_STATUSES }) @IsOptional() @IsIn(LOT_STATUSES) status?: LotStatus;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) harvestedFrom?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) harvestedTo?: string;
}
