import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Idempotent, Roles, ApiCodeParam, ApiProblems } from '@firstmile/http';
import { CreateWarehouseDto, ListWarehousesQuery } from './dto/create-warehouse.dto';
import { WarehousePage, WarehouseView } from './dto/warehouse.view';
import { WarehousesService } from './warehouses.service';

@ApiTags('warehouses')
@ApiBearerAuth()
@Controller('warehouses')
export class WarehousesController {
  constructor(private readonly warehouses: WarehousesService) {}

  @Get()
  @ApiOkResponse({ type: WarehousePage, description: 'Warehouses in id order; any authenticated caller' })
  list(@Query() query: ListWarehousesQuery) {
    return this.warehouses.list(query);
  }

  @Get(':id')
  @ApiCodeParam('id', /^[A-Z0-9-]{2,40}$/, 'WH-LIXIAN-ORIGIN', 'Warehouse id')
  @ApiOkResponse({ type: WarehouseView })
  get(@Param('id') id: string) {
    return this.warehouses.get(id);
  }

  @Post()
  @Roles('ops')
  @Idempotent()
  @ApiCreatedResponse({ type: WarehouseView, description: 'The warehouse; 409 if the id is taken' })
  @ApiProblems({ status: 409, description: 'A warehouse with that id exists' })
  create(@Body() dto: CreateWarehouseDto) {
    return this.warehouses.create(dto);
  }
}
