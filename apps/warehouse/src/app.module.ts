import { Module } from '@nestjs/common';
import { ServiceModule } from '@firstmile/http';
import { StockModule } from './stock/stock.module';
import { TransfersModule } from './transfers/transfers.module';
import { WarehouseEnv } from './warehouse.env';
import { WarehousesModule } from './warehouses/warehouses.module';

@Module({
  imports: [
    ServiceModule.forRoot({ service: 'warehouse', database: 'warehouse', env: WarehouseEnv }),
    WarehousesModule,
    StockModule,
    TransfersModule,
  ],
})
export class AppModule {}
