import { createService } from '@firstmile/http';
import { AppModule } from './app.module';

export const createApp = () =>
  createService(AppModule, {
    title: 'Firstmile insights',
    description:
      'The read side: what each grower earned (settlements), what each county sees (county insights), and every critical event as an EPCIS 2.0 event (GS1 Digital Link identifiers) with the EPCIS query interface.',
    // The EPCIS REST binding has its own root (`/epcis/…`), outside the Firstmile API's `/v1`.
    unprefixed: ['epcis/events', 'epcis/events/{*eventID}'],
  });
