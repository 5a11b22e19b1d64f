import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ProvenanceConsumer } from './provenance.consumer';
import { ProvenanceController } from './provenance.controller';
import { ProvenanceRepository } from './provenance.repository';
import { JourneyStepDoc, JourneyStepSchema, Provenance, ProvenanceSchema, ShipmentCity, ShipmentCitySchema } from './provenance.schema';
import { ProvenanceService } from './provenance.service';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Provenance.name, schema: ProvenanceSchema },
      { name: JourneyStepDoc.name, schema: JourneyStepSchema },
      { name: ShipmentCity.name, schema: ShipmentCitySchema },
    ]),
  ],
  controllers: [ProvenanceController, ProvenanceConsumer],
  providers: [ProvenanceService, ProvenanceRepository],
  exports: [ProvenanceService],
})
export class ProvenanceModule {}
