import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public, ApiCodeParam } from '@firstmile/http';
import { ProvenanceView } from './dto/provenance.view';
import { ProvenanceService } from './provenance.service';

@ApiTags('provenance')
@Controller('provenance')
export class ProvenanceController {
  constructor(private readonly provenance: ProvenanceService) {}

  @Get(':traceCode')
  @Public()
  @ApiCodeParam('traceCode', /^[0-9A-HJKMNP-TV-Z]{12}$/, '7K3QH9WZ2M4B', 'The 12-character code on the label')
  @ApiOkResponse({ type: ProvenanceView, description: 'The story of a sub-lot: origin, grade, brand and its journey so far; no personal data' })
  get(@Param('traceCode') traceCode: string) {
    return this.provenance.get(traceCode);
  }
}
