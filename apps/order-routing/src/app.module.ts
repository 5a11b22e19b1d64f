import { Module } from '@nestjs/common';
import { ServiceModule } from '@firstmile/http';
import { OrderRoutingEnv } from './order-routing.env';
import { OrdersModule } from './orders/orders.module';
import { ShipmentsModule } from './shipments/shipments.module';
import { StockViewModule } from './stock-view/stock-view.module';

@Module({
  imports: [
    ServiceModule.forRoot({ service: 'order-routing', database: 'orders', env: OrderRoutingEnv }),
    StockViewModule,
    OrdersModule,
    ShipmentsModule,
  ],
})
export class AppModule {}
