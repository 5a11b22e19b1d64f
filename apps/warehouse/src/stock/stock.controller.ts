import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Idempotent, Roles, ApiCodeParam, ApiProblems } from '@firstmile/http';
import { DispatchDto, LedgerQuery, StockQuery } from './dto/stock.query';
import { DispatchView, LedgerPage, StockPage } from './dto/stock.view';
import { StockService } from './stock.service';

@ApiTags('stock')
@ApiBearerAuth()
@ApiCodeParam('id', /^[A-Z0-9-]{2,40}$/, 'WH-LIXIAN-ORIGIN', 'Warehouse id')
@Controller('warehouses/:id')
export class StockController {
  constructor(private readonly stock: StockService) {}

  @Get('stock')
  @Roles('warehouse_operator', 'ops')
  @ApiOkResponse({ type: StockPage, description: 'Stock on hand per sub-lot: onHandKg = availableKg + reservedKg; 404 for a warehouse not yours' })
  list(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Query() query: StockQuery) {
    return this.stock.stock(caller, id, query);
  }

  @Get('ledger')
  @Roles('warehouse_operator', 'ops')
  @ApiOkResponse({ type: LedgerPage, description: 'Append-only stock movements in time order; per sub-lot Σ onHandDeltaKg = onHandKg' })
  ledger(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Query() query: LedgerQuery) {
    return this.stock.ledger(caller, id, query);
  }

  @Post('dispatches')
  @Roles('warehouse_operator')
  @ApiProblems({ status: 409, description: 'The shipment has no confirmed reservations left at this warehouse' })
  @Idempotent()
  @ApiCreatedResponse({ type: DispatchView, description: "The shipment's confirmed reservations left; StockDispatchedV1 is published. Repeating it returns the same dispatch" })
  dispatch(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Body() dto: DispatchDto) {
    return this.stock.dispatch(caller, id, dto.shipmentId);
  }
}
