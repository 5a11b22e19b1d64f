import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Idempotent, Roles, ApiProblems } from '@firstmile/http';
import { BrandList, BrandView } from './dto/brand.view';
import { BrandsService } from './brands.service';
import { CreateBrandDto } from './dto/create-brand.dto';

@ApiTags('brands')
@ApiBearerAuth()
@Controller('brands')
export class BrandsController {
  constructor(private readonly brands: BrandsService) {}

  @Get()
  @ApiOkResponse({ type: BrandList, description: 'Regional public brand programs' })
  list() {
    return this.brands.list();
  }

  @Post()
  @Roles('ops')
  @Idempotent()
  @ApiCreatedResponse({ type: BrandView, description: 'The brand program, with its id; 409 if the name is taken' })
  @ApiProblems({ status: 409, description: 'A brand program of that name exists' })
  create(@Body() dto: CreateBrandDto) {
    return this.brands.create(dto);
  }
}
