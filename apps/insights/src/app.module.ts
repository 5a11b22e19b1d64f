import { Module } from '@nestjs/common';
import { ServiceModule } from '@firstmile/http';
import { EpcisModule } from './epcis/epcis.module';
import { InsightsEnv } from './insights.env';

@Module({
  imports: [
    ServiceModule.forRoot({ service: 'insights', database: 'insights', env: InsightsEnv }),
    EpcisModule,
  ],
})
export class AppModule {}
