import { createService } from '@firstmile/http';
import { AppModule } from './app.module';

export const createApp = () =>
  createService(AppModule, {
    title: 'Firstmile warehouse',
    description: 'Origin warehouses and distribution centers: stock ledger per sub-lot, reservations, transfers and dispatch.',
  });
