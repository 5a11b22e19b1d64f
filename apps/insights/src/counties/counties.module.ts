import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { CountiesController } from './counties.controller';
import { CountiesService } from './counties.service';

/** What the county sees: headline figures per county and one county's season. */
@Module({
  imports: [LedgerModule],
  controllers: [CountiesController],
  providers: [CountiesService],
})
export class CountiesModule {}
