import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Roles, ApiIdParam } from '@firstmile/http';
import { LabelQueryDto, LabelSheetQueryDto } from './dto/label-query.dto';
import { LabelsService } from './labels.service';

@ApiTags('labels')
@ApiBearerAuth()
@ApiIdParam('subLotId', 'SUB')
@Controller('sub-lots/:subLotId')
export class LabelsController {
  constructor(private readonly labels: LabelsService) {}

  @Get('label.svg')
  @Roles('grading_line', 'ops')
  @Header('content-type', 'image/svg+xml; charset=utf-8')
  @Header('cache-control', 'private, max-age=60')
  @ApiProduces('image/svg+xml')
  @ApiOkResponse({ description: 'A 100 × 60 mm box label; its QR code holds the GS1 Digital Link URL of the provenance page' })
  svg(@CurrentPrincipal() caller: Principal, @Param('subLotId') subLotId: string, @Query() q: LabelQueryDto) {
    return this.labels.svg(caller, subLotId, q.boxKg);
  }

  @Get('labels.pdf')
  @Roles('grading_line', 'ops')
  @Header('content-type', 'application/pdf')
  @Header('cache-control', 'private, max-age=60')
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'An A4 sheet (2 × 4 per page) of `boxes` labels' })
  pdf(@CurrentPrincipal() caller: Principal, @Param('subLotId') subLotId: string, @Query() q: LabelSheetQueryDto) {
    return this.labels.pdf(caller, subLotId, q.boxes, q.boxKg);
  }
}
