import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Roles } from '@firstmile/http';
import { WindowQuery } from '../ledger/window.query';
import { LotSettlementView, SettlementsView } from './dto/settlement.views';
import { SettlementsService } from './settlements.service';

@ApiTags('settlements')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No or invalid token (problem+json)' })
@ApiForbiddenResponse({ description: 'Not a coop_manager or ops (problem+json)' })
@ApiNotFoundResponse({ description: 'Not found, or not the caller\'s cooperative (problem+json)' })
@Controller()
export class SettlementsController {
  constructor(private readonly settlements: SettlementsService) {}

  @Get('cooperatives/:id/settlements')
  @Roles('coop_manager', 'ops')
  @ApiOkResponse({
    type: SettlementsView,
    description: 'Per grower: kg harvested, graded (per grade) and delivered, and the revenue of the deliveries, in the window [from, to)',
  })
  @ApiBadRequestResponse({ description: 'A bad window: not ISO-8601, from ≥ to, longer than 366 days, unknown parameters (problem+json)' })
  cooperative(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Query() q: WindowQuery): Promise<SettlementsView> {
    return this.settlements.cooperative(caller, id, q);
  }

  @Get('lots/:id/settlement')
  @Roles('coop_manager', 'ops')
  @ApiOkResponse({ type: LotSettlementView, description: 'Per sub-lot: kg delivered and revenue, by channel' })
  lot(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<LotSettlementView> {
    return this.settlements.lot(caller, id);
  }
}
