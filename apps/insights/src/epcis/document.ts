import { type EpcisEvent, FM_NAMESPACE } from './mapping';

/** The EPCIS 2.0 JSON-LD context; a copy is in ./standard for offline use (tests expand with it). */
export const EPCIS_CONTEXT_URL = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

/** Every document's @context: the standard's, plus the prefix of Firstmile's own ILMD terms. */
export const EPCIS_CONTEXT = [EPCIS_CONTEXT_URL, { fm: FM_NAMESPACE }];

/** The content type of EPCIS 2.0 JSON-LD answers, and the versions the REST binding announces in headers. */
export const EPCIS_HEADERS = {
  'content-type': 'application/ld+json; charset=utf-8',
  'GS1-EPCIS-Version': '2.0.0',
  'GS1-CBV-Version': '2.0.0',
} as const;

/** An `EPCISQueryDocument` answering SimpleEventQuery with these events. */
export function queryDocument(events: EpcisEvent[], createdAt: Date): Record<string, unknown> {
  return {
    '@context': EPCIS_CONTEXT,
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: createdAt.toISOString(),
    epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: events } } },
  };
}

/** One event on its own (`GET /epcis/events/{eventID}`): a JSON-LD document needs its @context. */
export const standaloneEvent = (event: EpcisEvent): Record<string, unknown> => ({
  '@context': EPCIS_CONTEXT,
  ...event,
});
