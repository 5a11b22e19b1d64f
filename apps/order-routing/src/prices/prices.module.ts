import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PriceList, PriceListSchema } from './price-list.schema';
import { PricesController } from './prices.controller';
import { PricesRepository } from './prices.repository';
import { PricesService } from './prices.service';

/** Price lists per produce, grade, brand and channel; routing fixes the price in force on each allocation. */
@Module({
  imports: [MongooseModule.forFeature([{ name: PriceList.name, schema: PriceListSchema }])],
  controllers: [PricesController],
  providers: [PricesRepository, PricesService],
  exports: [PricesService],
})
export class PricesModule {}
