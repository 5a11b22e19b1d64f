import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Cooperative, CooperativeSchema } from './cooperative.schema';
import { CooperativesController } from './cooperatives.controller';
import { CooperativesRepository } from './cooperatives.repository';
import { CooperativesService } from './cooperatives.service';

@Module({
  imports: [MongooseModule.forFeature([{ name: Cooperative.name, schema: CooperativeSchema }])],
  controllers: [CooperativesController],
  providers: [CooperativesService, CooperativesRepository],
  exports: [CooperativesService],
})
export class CooperativesModule {}
