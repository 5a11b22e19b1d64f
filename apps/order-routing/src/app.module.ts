import { Module } from '@nestjs/common';
import { ServiceModule } from '@firstmile/http';
import { OrderRoutingEnv } from './order-routing.env';
import { OrdersModule } from './orders/orders.module';
import { ShipmentsModule } from './shipments/shipments.module';
import { StockModule } from './stock/stock.module';

@Module({
  imports: [
    ServiceModule.forRoot({ service: 'order-routing', database: 'orders', env: OrderRoutingEnv }),
    StockModule,
    OrdersModule,
    ShipmentsModule,
  ],
})
export class AppModule {}
