import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Idempotent, type IdempotencyClaim, IdempotencyOf, Roles, ApiIdParam, ApiProblems } from '@firstmile/http';
import { ListLotsQuery } from './dto/list-lots.query';
import { LogLotDto, VoidLotDto } from './dto/log-lot.dto';
import { LotPage, LotView } from './dto/lot.view';
import { LotsService } from './lots.service';

@ApiTags('lots')
@ApiBearerAuth()
@Controller('lots')
export class LotsController {
  constructor(private readonly lots: LotsService) {}

  @Post()
  @Roles('coop_manager')
  @Idempotent({ byResource: true })
  @ApiCreatedResponse({ type: LotView, description: 'The lot, status "logged"; lot.logged is published' })
  @ApiProblems({ status: 404, description: 'The cooperative, grower or orchard does not exist or is not the caller\'s' })
  log(@CurrentPrincipal() caller: Principal, @Body() dto: LogLotDto, @IdempotencyOf() claim?: IdempotencyClaim) {
    return this.lots.log(caller, dto, claim);
  }

  @Get()
  @Roles('coop_manager', 'ops')
  @ApiOkResponse({ type: LotPage, description: "Newest first: a coop_manager's cooperative's lots, ops everyone's" })
  list(@CurrentPrincipal() caller: Principal, @Query() query: ListLotsQuery) {
    return this.lots.list(caller, query);
  }

  @Get(':id')
  @Roles('coop_manager', 'ops')
  @ApiIdParam('id', 'LOT')
  @ApiOkResponse({ type: LotView })
  get(@CurrentPrincipal() caller: Principal, @Param('id') id: string) {
    return this.lots.get(caller, id);
  }

  @Post(':id/void')
  @HttpCode(200)
  @Roles('coop_manager')
  @ApiIdParam('id', 'LOT')
  @ApiProblems({ status: 409, description: 'Only a logged lot can be voided (grading has started, or it is voided)' })
  @ApiOkResponse({ type: LotView, description: 'The lot, status "voided"; lot.voided is published' })
  void(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Body() dto: VoidLotDto) {
    return this.lots.void(caller, id, dto.reason);
  }
}
