import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { RoutingSettings } from '../routing.settings';
import { StockPosition, StockPositionSchema } from './stock-position.schema';
import { StockConsumer } from './stock.consumer';
import { StockHolds } from './stock-holds';
import { StockRepository } from './stock.repository';
import { StockService } from './stock.service';

@Module({
  imports: [MongooseModule.forFeature([{ name: StockPosition.name, schema: StockPositionSchema }])],
  controllers: [StockConsumer],
  providers: [RoutingSettings, StockHolds, StockRepository, StockService],
  exports: [RoutingSettings, StockService],
})
export class StockModule {}
