import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OutboxRelayModule } from '@firstmile/persistence';
import { WarehousesModule } from '../warehouses/warehouses.module';
import {
  Dispatch,
  DispatchSchema,
  StockLedgerEntry,
  StockLedgerEntrySchema,
  StockPosition,
  StockPositionSchema,
  StockReservation,
  StockReservationSchema,
} from './stock-position.schema';
import { StockConsumer } from './stock.consumer';
import { StockController } from './stock.controller';
import { StockRepository } from './stock.repository';
import { StockService } from './stock.service';
import { StockSweeps } from './stock.sweeps';

const models = MongooseModule.forFeature([
  { name: StockPosition.name, schema: StockPositionSchema },
  { name: StockReservation.name, schema: StockReservationSchema },
  { name: StockLedgerEntry.name, schema: StockLedgerEntrySchema },
  { name: Dispatch.name, schema: DispatchSchema },
]);

@Module({
  imports: [
    models,
    WarehousesModule,
    OutboxRelayModule.forModels([StockPosition.name, StockReservation.name, Dispatch.name], [models]),
  ],
  controllers: [StockController, StockConsumer],
  providers: [StockService, StockRepository, StockSweeps],
  exports: [StockService],
})
export class StockModule {}
