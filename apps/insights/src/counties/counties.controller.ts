import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, type Page, Roles } from '@firstmile/http';
import { WindowQuery } from '../ledger/window.query';
import { CountiesQuery } from './dto/counties.query';
import { CountiesPage, type CountyHeadline, CountySummary, ProduceFigures } from './dto/county.views';
import { CountiesService } from './counties.service';

@ApiTags('counties')
@ApiBearerAuth()
@ApiExtraModels(ProduceFigures)
@ApiUnauthorizedResponse({ description: 'No or invalid token (problem+json)' })
@ApiBadRequestResponse({ description: 'Invalid query, unknown parameters too (problem+json)' })
@Controller('counties')
export class CountiesController {
  constructor(private readonly counties: CountiesService) {}

  @Get()
  @ApiOkResponse({ type: CountiesPage, description: 'Every county (the reference ones and any a cooperative is in) with its headline figures over all seasons; any signed-in caller. Figures may be up to 10 s old.' })
  list(@Query() q: CountiesQuery): Promise<Page<CountyHeadline>> {
    return this.counties.list(q);
  }

  @Get(':countyId/summary')
  @Roles('ops', 'county_official')
  @ApiOkResponse({ type: CountySummary, description: 'The county\'s season in the window [from, to): harvest, grading, sales by channel, deliveries, growers paid, top destinations, brand premium and a daily series' })
  @ApiForbiddenResponse({ description: 'Not ops or a county_official (problem+json)' })
  @ApiNotFoundResponse({ description: 'Unknown county, or not the caller\'s county (problem+json)' })
  summary(@CurrentPrincipal() caller: Principal, @Param('countyId') countyId: string, @Query() q: WindowQuery): Promise<CountySummary> {
    return this.counties.summary(caller, countyId, q);
  }
}
