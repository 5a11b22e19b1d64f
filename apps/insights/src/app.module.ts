import { Module } from '@nestjs/common';
import { ServiceModule } from '@firstmile/http';
import { CountiesModule } from './counties/counties.module';
import { EpcisModule } from './epcis/epcis.module';
import { InsightsEnv } from './insights.env';
import { SettlementsModule } from './settlements/settlements.module';

@Module({
  imports: [
    ServiceModule.forRoot({ service: 'insights', database: 'insights', env: InsightsEnv }),
    EpcisModule,
    SettlementsModule,
    CountiesModule,
  ],
})
export class AppModule {}
