import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Idempotent, IdempotencySeed, JsonSchemaPipe, Roles, ApiIdParam, ApiProblems } from '@firstmile/http';
import { GradeLotDto } from './dto/grade-lot.dto';
import { ListLotsQuery } from './dto/list-lots.query';
import { MEASUREMENT_BATCH_SCHEMA, type MeasurementBatch } from './dto/measurements.schema';
import { GradingLotPage, GradingResultView, GradingStatusView, MeasurementBatchAccepted } from './dto/grading.view';
import { LotsService } from './lots.service';

@ApiTags('grading')
@ApiBearerAuth()
@Controller('lots')
export class LotsController {
  constructor(private readonly lots: LotsService) {}

  @Get()
  @Roles('grading_line', 'ops')
  @ApiOkResponse({
    type: GradingLotPage,
    description:
      'Lots that arrived at the caller\'s warehouses (ops: all), newest first; filters warehouseId, status. With a status filter a page may hold fewer than `limit` lots; follow nextCursor',
  })
  list(@CurrentPrincipal() caller: Principal, @Query() query: ListLotsQuery) {
    return this.lots.list(caller, query);
  }

  @Get(':lotId/grading')
  @Roles('grading_line', 'coop_manager', 'ops')
  @ApiIdParam('lotId', 'LOT')
  @ApiOkResponse({ type: GradingStatusView, description: 'The lot\'s grading: status pending | graded | voided, measured tallies, and the result once graded' })
  get(@CurrentPrincipal() caller: Principal, @Param('lotId') lotId: string) {
    return this.lots.view(caller, lotId);
  }

  @Post(':lotId/measurements')
  @HttpCode(202)
  @Roles('grading_line')
  @ApiIdParam('lotId', 'LOT')
  @ApiProblems({ status: 409, description: 'The lot is already graded or was voided' })
  @ApiBody({ schema: MEASUREMENT_BATCH_SCHEMA as never })
  @ApiAcceptedResponse({ type: MeasurementBatchAccepted, description: 'The batch is tallied; `accepted: false` when this batchId was already taken' })
  measure(
    @CurrentPrincipal() caller: Principal,
    @Param('lotId') lotId: string,
    @Body(new JsonSchemaPipe<MeasurementBatch>(MEASUREMENT_BATCH_SCHEMA)) dto: MeasurementBatch,
  ) {
    return this.lots.measure(caller, lotId, dto);
  }

  @Post(':lotId/grading')
  @Roles('grading_line')
  @ApiIdParam('lotId', 'LOT')
  @ApiProblems({ status: 409, description: 'Already graded, voided, not measured yet (and no bands), or no grading standard for its produce' })
  @Idempotent()
  @ApiCreatedResponse({ type: GradingResultView, description: 'Graded sub-lots; Σ subLots.quantityKg + cullKg = the lot\'s kilograms. lot.graded is published' })
  grade(@CurrentPrincipal() caller: Principal, @Param('lotId') lotId: string, @Body() dto: GradeLotDto, @IdempotencySeed() seed?: string) {
    return this.lots.grade(caller, lotId, dto, seed);
  }
}
