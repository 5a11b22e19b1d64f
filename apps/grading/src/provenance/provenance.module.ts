import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ProvenanceConsumer } from './provenance.consumer';
import { ProvenanceController } from './provenance.controller';
import { ProvenanceRepository } from './provenance.repository';
import { JourneyStepDoc, JourneyStepSchema, Provenance, ProvenanceSchema } from './provenance.schema';
import { ProvenanceService } from './provenance.service';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Provenance.name, schema: ProvenanceSchema },
      { name: JourneyStepDoc.name, schema: JourneyStepSchema },
    ]),
  ],
  controllers: [ProvenanceController, ProvenanceConsumer],
  providers: [ProvenanceService, ProvenanceRepository],
  exports: [ProvenanceService],
})
export class ProvenanceModule {}
