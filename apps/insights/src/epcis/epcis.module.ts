import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { EpcisConsumer } from './epcis.consumer';
import { EpcisController } from './epcis.controller';
import { EpcisEventDoc, EpcisEventSchema } from './epcis-event.schema';
import { EpcisRepository } from './epcis.repository';
import { EpcisService } from './epcis.service';
import {
  LotFact,
  LotFactSchema,
  ShipmentFact,
  ShipmentFactSchema,
  SubLotFact,
  SubLotFactSchema,
} from './facts.schema';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: EpcisEventDoc.name, schema: EpcisEventSchema },
      { name: LotFact.name, schema: LotFactSchema },
      { name: SubLotFact.name, schema: SubLotFactSchema },
      { name: ShipmentFact.name, schema: ShipmentFactSchema },
    ]),
  ],
  controllers: [EpcisController, EpcisConsumer],
  providers: [EpcisService, EpcisRepository],
})
export class EpcisModule {}
