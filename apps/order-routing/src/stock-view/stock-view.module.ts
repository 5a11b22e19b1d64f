import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { RoutingSettings } from '../routing.settings';
import { StockPosition, StockPositionSchema } from './stock-position.schema';
import { StockViewConsumer } from './stock-view.consumer';
import { StockHolds } from './stock-holds';
import { StockViewRepository } from './stock-view.repository';
import { StockViewService } from './stock-view.service';

@Module({
  imports: [MongooseModule.forFeature([{ name: StockPosition.name, schema: StockPositionSchema }])],
  controllers: [StockViewConsumer],
  providers: [RoutingSettings, StockHolds, StockViewRepository, StockViewService],
  exports: [RoutingSettings, StockViewService],
})
export class StockViewModule {}
