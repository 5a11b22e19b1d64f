import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '@firstmile/http';
import { LOT_STATUSES, type LotStatus } from '../lot.schema';

export class ListLotsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'WH-LIXIAN-ORIGIN', description: 'One of the caller\'s warehouses (ops: any)' })
  @IsOptional()
  @Matches(/^[A-Z0-9-]{2,40}$/)
  warehouseId?: string;

  @ApiPropertyOptional({ enum: LOT_STATUSES })
  @IsOptional()
  @IsIn(LOT_STATUSES)
  status?: LotStatus;
}
