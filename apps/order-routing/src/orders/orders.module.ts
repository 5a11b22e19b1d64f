import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OutboxRelayModule } from '@firstmile/persistence';
import { StockViewModule } from '../stock-view/stock-view.module';
import { Order, OrderSchema } from './order.schema';
import { OrdersConsumer } from './orders.consumer';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';

const models = MongooseModule.forFeature([{ name: Order.name, schema: OrderSchema }]);

@Module({
  imports: [models, StockViewModule, OutboxRelayModule.forModels([Order.name], [models])],
  controllers: [OrdersController, OrdersConsumer],
  providers: [OrdersService, OrdersRepository],
})
export class OrdersModule {}
