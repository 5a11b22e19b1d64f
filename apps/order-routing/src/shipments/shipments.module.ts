import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OutboxRelayModule } from '@firstmile/persistence';
import { StockViewModule } from '../stock-view/stock-view.module';
import { Shipment, ShipmentSchema } from './shipment.schema';
import { ShipmentsConsumer } from './shipments.consumer';
import { ShipmentsController } from './shipments.controller';
import { ShipmentsRepository } from './shipments.repository';
import { ShipmentsService } from './shipments.service';

const models = MongooseModule.forFeature([{ name: Shipment.name, schema: ShipmentSchema }]);

@Module({
  imports: [models, StockViewModule, OutboxRelayModule.forModels([Shipment.name], [models])],
  controllers: [ShipmentsController, ShipmentsConsumer],
  providers: [ShipmentsService, ShipmentsRepository],
})
export class ShipmentsModule {}
