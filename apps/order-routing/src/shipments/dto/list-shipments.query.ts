import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '@firstmile/contracts';
import { PageQuery } from '@firstmile/http';

export class ListShipmentsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: SHIPMENT_STATUSES }) @IsOptional() @IsIn(SHIPMENT_STATUSES) status?: ShipmentStatus;
  @ApiPropertyOptional({ example: 'DC-HANGZHOU' }) @IsOptional() @Matches(/^[A-Za-z0-9-]{2,40}$/) warehouseId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) orderId?: string;
}
