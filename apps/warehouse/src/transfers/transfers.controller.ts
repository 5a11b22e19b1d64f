import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Idempotent, Roles, ApiIdParam, ApiProblems } from '@firstmile/http';
import { CreateTransferDto } from './dto/create-transfer.dto';
import { TransferView } from './dto/transfer.view';
import { TransfersService } from './transfers.service';

@ApiTags('transfers')
@ApiBearerAuth()
@Controller('transfers')
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post()
  @Roles('warehouse_operator')
  @Idempotent()
  @ApiCreatedResponse({ type: TransferView, description: 'The transfer, status "in_transit": the stock has left the source. 409 if not enough is available' })
  @ApiProblems({ status: 404, description: 'No stock of the sub-lot at the source warehouse' }, { status: 409, description: 'Not enough is available' })
  create(@CurrentPrincipal() caller: Principal, @Body() dto: CreateTransferDto) {
    return this.transfers.create(caller, dto);
  }

  @Get(':id')
  @Roles('warehouse_operator', 'ops')
  @ApiIdParam('id', 'TRF')
  @ApiOkResponse({ type: TransferView })
  get(@CurrentPrincipal() caller: Principal, @Param('id') id: string) {
    return this.transfers.get(caller, id);
  }

  @Post(':id/receive')
  @HttpCode(200)
  @Roles('warehouse_operator')
  @ApiIdParam('id', 'TRF')
  @ApiProblems({ status: 409, description: 'Only an in_transit transfer can be received' })
  @ApiOkResponse({ type: TransferView, description: 'The transfer, status "received": the stock is at the destination' })
  receive(@CurrentPrincipal() caller: Principal, @Param('id') id: string) {
    return this.transfers.receive(caller, id);
  }
}
