import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ORDER_CHANNELS, type OrderChannel } from '@firstmile/contracts';
import { PageQuery } from '@firstmile/http';
import { ORDER_STATUSES, type OrderStatus } from '../order.schema';

export class ListOrdersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ORDER_STATUSES }) @IsOptional() @IsIn(ORDER_STATUSES) status?: OrderStatus;
  @ApiPropertyOptional({ enum: ORDER_CHANNELS }) @IsOptional() @IsIn(ORDER_CHANNELS) channel?: OrderChannel;
  @ApiPropertyOptional({ description: 'ops only; a buyer always sees its own orders' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  buyerId?: string;
}
