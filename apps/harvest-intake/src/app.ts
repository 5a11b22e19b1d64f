import { createService } from '@firstmile/http';
import { AppModule } from './app.module';

export const createApp = () =>
  createService(AppModule, {
    title: 'Firstmile harvest-intake',
    description: 'Cooperatives, growers, orchards and harvest lots: the first kilometer.',
  });
