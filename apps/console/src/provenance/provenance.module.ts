import { Module } from '@nestjs/common';
import { Upstream } from '../upstream';
import { ProvenanceController } from './provenance.controller';

@Module({ controllers: [ProvenanceController], providers: [Upstream] })
export class ProvenanceModule {}
