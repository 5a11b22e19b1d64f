import { createService } from '@firstmile/http';
import { AppModule } from './app.module';

export const createApp = () =>
  createService(AppModule, {
    title: 'Firstmile grading',
    description: 'Grading standards, grading-line measurements, graded sub-lots, regional brands, trace codes and provenance.',
  });
