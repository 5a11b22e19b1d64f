import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Idempotent, IdempotencySeed, JsonSchemaPipe, Roles } from '@firstmile/http';
import { GradeLotDto } from './dto/grade-lot.dto';
import { MEASUREMENT_BATCH_SCHEMA, type MeasurementBatch } from './dto/measurements.schema';
import { LotsService } from './lots.service';

@ApiTags('grading')
@ApiBearerAuth()
@Controller('lots/:lotId')
export class LotsController {
  constructor(private readonly lots: LotsService) {}

  @Get('grading')
  @Roles('grading_line', 'coop_manager', 'ops')
  @ApiOkResponse({ description: 'The lot\'s grading: status pending | graded | voided, measured tallies, and the result once graded' })
  get(@CurrentPrincipal() caller: Principal, @Param('lotId') lotId: string) {
    return this.lots.view(caller, lotId);
  }

  @Post('measurements')
  @HttpCode(202)
  @Roles('grading_line')
  @ApiBody({ schema: MEASUREMENT_BATCH_SCHEMA as never })
  @ApiAcceptedResponse({ description: 'The batch is tallied; `accepted: false` when this batchId was already taken' })
  measure(
    @CurrentPrincipal() caller: Principal,
    @Param('lotId') lotId: string,
    @Body(new JsonSchemaPipe<MeasurementBatch>(MEASUREMENT_BATCH_SCHEMA)) dto: MeasurementBatch,
  ) {
    return this.lots.measure(caller, lotId, dto);
  }

  @Post('grading')
  @Roles('grading_line')
  @Idempotent()
  @ApiCreatedResponse({ description: 'Graded sub-lots; Σ subLots.quantityKg + cullKg = the lot\'s kilograms. lot.graded is published' })
  grade(@CurrentPrincipal() caller: Principal, @Param('lotId') lotId: string, @Body() dto: GradeLotDto, @IdempotencySeed() seed?: string) {
    return this.lots.grade(caller, lotId, dto, seed);
  }
}
