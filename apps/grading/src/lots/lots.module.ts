import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OutboxRelayModule } from '@firstmile/persistence';
import { BrandsModule } from '../brands/brands.module';
import { ProvenanceModule } from '../provenance/provenance.module';
import { StandardsModule } from '../standards/standards.module';
import { GradingLot, GradingLotSchema } from './lot.schema';
import { LotOutcome, LotOutcomeSchema } from './lot-outcome.schema';
import { LotsConsumer } from './lots.consumer';
import { LotsController } from './lots.controller';
import { LotsRepository } from './lots.repository';
import { LotsService } from './lots.service';
import { MeasurementBatch, MeasurementBatchSchema } from './measurement-batch.schema';

const models = MongooseModule.forFeature([
  { name: GradingLot.name, schema: GradingLotSchema },
  { name: MeasurementBatch.name, schema: MeasurementBatchSchema },
  { name: LotOutcome.name, schema: LotOutcomeSchema },
]);

@Module({
  imports: [models, StandardsModule, BrandsModule, ProvenanceModule, OutboxRelayModule.forModels([LotOutcome.name], [models])],
  controllers: [LotsController, LotsConsumer],
  providers: [LotsService, LotsRepository],
})
export class LotsModule {}
