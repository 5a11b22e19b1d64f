import { createService } from '@firstmile/http';
import { AppModule } from './app.module';

export const createApp = () =>
  createService(AppModule, {
    title: 'Firstmile order-routing',
    description: 'Orders, routing to the best warehouse, reservations, shipments and their tracking timeline.',
  });
