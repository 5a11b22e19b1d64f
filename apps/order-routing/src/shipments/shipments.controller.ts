import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Idempotent, Roles, ApiIdParam, ApiProblems } from '@firstmile/http';
import { ListShipmentsQuery } from './dto/list-shipments.query';
import { ShipmentPage, ShipmentView } from './dto/shipment.view';
import { TrackShipmentDto } from './dto/track-shipment.dto';
import { ShipmentsService } from './shipments.service';

@ApiTags('shipments')
@ApiBearerAuth()
@Controller('shipments')
export class ShipmentsController {
  constructor(private readonly shipments: ShipmentsService) {}

  @Get()
  @Roles('logistics_operator', 'ops')
  @ApiOkResponse({ type: ShipmentPage, description: 'Newest first; filters status, warehouseId, orderId' })
  list(@Query() query: ListShipmentsQuery) {
    return this.shipments.list(query);
  }

  @Get(':id')
  @Roles('logistics_operator', 'ops', 'buyer')
  @ApiIdParam('id', 'SHP')
  @ApiOkResponse({ type: ShipmentView })
  get(@CurrentPrincipal() caller: Principal, @Param('id') id: string) {
    return this.shipments.get(caller, id);
  }

  @Post(':id/events')
  @Roles('logistics_operator')
  @Idempotent()
  @ApiCreatedResponse({ type: ShipmentView, description: 'The shipment with the checkpoint appended and its ETA recomputed' })
  @ApiIdParam('id', 'SHP')
  @ApiProblems({ status: 409, description: 'The transition is not allowed from the current status (nothing moves a delivered shipment), or a concurrent update; retry' })
  track(@Param('id') id: string, @Body() dto: TrackShipmentDto) {
    return this.shipments.track(id, dto);
  }
}
