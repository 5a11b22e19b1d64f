import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { StandardsModule } from '../standards/standards.module';
import { Brand, BrandSchema } from './brand.schema';
import { BrandsController } from './brands.controller';
import { BrandsRepository } from './brands.repository';
import { BrandsService } from './brands.service';

@Module({
  imports: [MongooseModule.forFeature([{ name: Brand.name, schema: BrandSchema }]), StandardsModule],
  controllers: [BrandsController],
  providers: [BrandsService, BrandsRepository],
  exports: [BrandsService],
})
export class BrandsModule {}
