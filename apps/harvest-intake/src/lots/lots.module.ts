import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OutboxRelayModule } from '@firstmile/persistence';
import { CooperativesModule } from '../cooperatives/cooperatives.module';
import { Lot, LotSchema } from './lot.schema';
import { LotsConsumer } from './lots.consumer';
import { LotsController } from './lots.controller';
import { LotsRepository } from './lots.repository';
import { LotsService } from './lots.service';

const models = MongooseModule.forFeature([{ name: Lot.name, schema: LotSchema }]);

@Module({
  imports: [models, CooperativesModule, OutboxRelayModule.forModels([Lot.name], [models])],
  controllers: [LotsController, LotsConsumer],
  providers: [LotsService, LotsRepository],
})
export class LotsModule {}
