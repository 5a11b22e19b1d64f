import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@firstmile/contracts';
import { CurrentPrincipal, Idempotent, Roles, ApiIdParam } from '@firstmile/http';
import { CooperativesService } from './cooperatives.service';
import { CooperativeView, GrowerView, OrchardView } from './dto/cooperative.view';
import { CreateCooperativeDto, CreateGrowerDto, CreateOrchardDto } from './dto/create-cooperative.dto';

@ApiTags('cooperatives')
@ApiBearerAuth()
@Controller('cooperatives')
export class CooperativesController {
  constructor(private readonly cooperatives: CooperativesService) {}

  @Post()
  @Roles('ops')
  @Idempotent()
  @ApiCreatedResponse({ type: CooperativeView, description: 'The cooperative, with its id' })
  create(@Body() dto: CreateCooperativeDto) {
    return this.cooperatives.create(dto);
  }

  @Get(':id')
  @Roles('ops', 'coop_manager')
  @ApiIdParam('id', 'COOP')
  @ApiOkResponse({ type: CooperativeView, description: 'The cooperative with its growers and orchards' })
  get(@CurrentPrincipal() caller: Principal, @Param('id') id: string) {
    return this.cooperatives.view(caller, id);
  }

  @Post(':id/growers')
  @Roles('coop_manager')
  @ApiIdParam('id', 'COOP')
  @ApiCreatedResponse({ type: GrowerView })
  @Idempotent()
  addGrower(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Body() dto: CreateGrowerDto) {
    return this.cooperatives.addGrower(caller, id, dto);
  }

  @Post(':id/orchards')
  @Roles('coop_manager')
  @ApiIdParam('id', 'COOP')
  @ApiCreatedResponse({ type: OrchardView })
  @Idempotent()
  addOrchard(@CurrentPrincipal() caller: Principal, @Param('id') id: string, @Body() dto: CreateOrchardDto) {
    return this.cooperatives.addOrchard(caller, id, dto);
  }
}
