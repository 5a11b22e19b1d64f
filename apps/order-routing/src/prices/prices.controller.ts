import { Body, Controller, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, ProblemException, Roles } from '@firstmile/http';
import { PriceListView, PriceQuery, PRODUCE_PATTERN, PutPricesDto } from './dto/put-prices.dto';
import { PricesService } from './prices.service';

const produceOf = (produce: string) => {
  if (!PRODUCE_PATTERN.test(produce)) throw ProblemException.validation([{ field: 'produce', message: 'must be a produce name such as apple or passion_fruit' }]);
  return produce;
};

@ApiTags('prices')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No or invalid token (problem+json)' })
@ApiBadRequestResponse({ description: 'Invalid input, unknown fields too (problem+json with `errors`)' })
@Controller('prices')
export class PricesController {
  constructor(private readonly prices: PricesService) {}

  @Put(':produce')
  @HttpCode(200)
  @Roles('ops')
  @ApiParam({ name: 'produce', example: 'apple', schema: { type: 'string', pattern: PRODUCE_PATTERN.source } })
  @ApiOkResponse({
    type: PriceListView,
    description: 'The list as stored, with its `version`. The same list again (same entries, currency and effectiveAt) is the version already stored.',
  })
  @ApiForbiddenResponse({ description: 'Not ops (problem+json)' })
  @ApiConflictResponse({ description: 'Others kept changing this produce\'s list meanwhile; try again (problem+json)' })
  set(@CurrentPrincipal() caller: Principal, @Param('produce') produce: string, @Body() dto: PutPricesDto): Promise<PriceListView> {
    return this.prices.set(caller, produceOf(produce), dto);
  }

  @Get(':produce')
  @ApiParam({ name: 'produce', example: 'apple', schema: { type: 'string', pattern: PRODUCE_PATTERN.source } })
  @ApiOkResponse({ type: PriceListView, description: 'The list in force now (or `?at=`); any signed-in caller' })
  @ApiNotFoundResponse({ description: 'No list of this produce is in force (problem+json)' })
  get(@Param('produce') produce: string, @Query() q: PriceQuery): Promise<PriceListView> {
    return this.prices.get(produceOf(produce), q.at);
  }
}
