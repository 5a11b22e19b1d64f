import { Module } from '@nestjs/common';
import { ServiceModule } from '@firstmile/http';
import { BrandsModule } from './brands/brands.module';
import { GradingEnv } from './grading.env';
import { LabelsModule } from './labels/labels.module';
import { LotsModule } from './lots/lots.module';
import { ProvenanceModule } from './provenance/provenance.module';
import { StandardsModule } from './standards/standards.module';

@Module({
  imports: [
    ServiceModule.forRoot({ service: 'grading', database: 'grading', env: GradingEnv }),
    StandardsModule,
    BrandsModule,
    ProvenanceModule,
    LotsModule,
    LabelsModule,
  ],
})
export class AppModule {}
