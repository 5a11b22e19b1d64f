import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { StandardList } from './dto/standard.view';
import { StandardsService } from './standards.service';

@ApiTags('standards')
@ApiBearerAuth()
@Controller('standards')
export class StandardsController {
  constructor(private readonly standards: StandardsService) {}

  @Get()
  @ApiOkResponse({ type: StandardList, description: 'Every grading standard: grades best first with their rules; `inUse` marks the one grading its produce' })
  list() {
    return { items: this.standards.list() };
  }
}
