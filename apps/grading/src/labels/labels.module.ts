import { Module } from '@nestjs/common';
import { ProvenanceModule } from '../provenance/provenance.module';
import { LabelsController } from './labels.controller';
import { LabelsService } from './labels.service';

/** Box labels of graded sub-lots: SVG for one, PDF sheets for printing many. */
@Module({
  imports: [ProvenanceModule],
  controllers: [LabelsController],
  providers: [LabelsService],
})
export class LabelsModule {}
