import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { LedgerConsumer } from './ledger.consumer';
import { LedgerRepository } from './ledger.repository';
import {
  LedgerAllocation,
  LedgerAllocationSchema,
  LedgerCancellation,
  LedgerCancellationSchema,
  LedgerLot,
  LedgerLotSchema,
  LedgerShipment,
  LedgerShipmentSchema,
  LedgerSubLot,
  LedgerSubLotSchema,
} from './ledger.schema';
import { LedgerService } from './ledger.service';

/** The sales ledger settlements and county insights are computed from. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: LedgerLot.name, schema: LedgerLotSchema },
      { name: LedgerSubLot.name, schema: LedgerSubLotSchema },
      { name: LedgerAllocation.name, schema: LedgerAllocationSchema },
      { name: LedgerShipment.name, schema: LedgerShipmentSchema },
      { name: LedgerCancellation.name, schema: LedgerCancellationSchema },
    ]),
  ],
  controllers: [LedgerConsumer],
  providers: [LedgerRepository, LedgerService],
  exports: [LedgerService, LedgerRepository],
})
export class LedgerModule {}
