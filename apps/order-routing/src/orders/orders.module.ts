import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OutboxRelayModule } from '@firstmile/persistence';
import { PricesModule } from '../prices/prices.module';
import { StockViewModule } from '../stock-view/stock-view.module';
import { Order, OrderSchema } from './order.schema';
import { OrdersConsumer } from './orders.consumer';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { AnswerReservation } from './usecases/answer-reservation';
import { CancelOrder } from './usecases/cancel-order';
import { FollowShipments } from './usecases/follow-shipments';
import { PlaceOrder } from './usecases/place-order';
import { ReadOrders } from './usecases/read-orders';
import { RouteOrder } from './usecases/route-order';

const models = MongooseModule.forFeature([{ name: Order.name, schema: OrderSchema }]);

@Module({
  imports: [models, StockViewModule, PricesModule, OutboxRelayModule.forModels([Order.name], [models])],
  controllers: [OrdersController, OrdersConsumer],
  providers: [OrdersRepository, PlaceOrder, ReadOrders, CancelOrder, RouteOrder, AnswerReservation, FollowShipments],
})
export class OrdersModule {}
