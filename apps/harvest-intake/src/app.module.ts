import { Module } from '@nestjs/common';
import { ServiceModule } from '@firstmile/http';
import { CooperativesModule } from './cooperatives/cooperatives.module';
import { HarvestEnv } from './harvest.env';
import { LotsModule } from './lots/lots.module';

@Module({
  imports: [
    ServiceModule.forRoot({ service: 'harvest-intake', database: 'harvest', env: HarvestEnv }),
    CooperativesModule,
    LotsModule,
  ],
})
export class AppModule {}
