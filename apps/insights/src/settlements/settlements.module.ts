import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { SettlementsController } from './settlements.controller';
import { SettlementsService } from './settlements.service';

/** What the farmer earns: revenue of delivered allocations, attributed sub-lot → lot → grower. */
@Module({
  imports: [LedgerModule],
  controllers: [SettlementsController],
  providers: [SettlementsService],
})
export class SettlementsModule {}
