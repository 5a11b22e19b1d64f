import { EPCIS_EVENT_TYPES } from '../mapping';

/**
 * The JSON-LD answers of the EPCIS query interface, as OpenAPI schemas: what this service relies on
 * of them (GS1's EPCIS 2.0 JSON Schema, which the int-spec validates against, says the rest).
 */
const EVENT = {
  type: 'object',
  required: ['type', 'eventID', 'eventTime'],
  properties: {
    type: { type: 'string', enum: [...EPCIS_EVENT_TYPES] },
    eventID: { type: 'string', example: 'urn:uuid:4b0c3d1e-6f7a-5b2c-8d9e-0a1b2c3d4e5f' },
    eventTime: { type: 'string', format: 'date-time' },
    eventTimeZoneOffset: { type: 'string', example: '+08:00' },
    bizStep: { type: 'string' },
  },
};
const CONTEXT = { type: 'array', items: {}, description: 'The EPCIS 2.0 JSON-LD context and the fm: namespace' };

export const EPCIS_HEADERS_DOC = {
  'GS1-EPCIS-Version': { schema: { type: 'string', example: '2.0.0' } },
  'GS1-CBV-Version': { schema: { type: 'string', example: '2.0.0' } },
};

export const EPCIS_QUERY_DOCUMENT_SCHEMA = {
  type: 'object',
  required: ['@context', 'type', 'schemaVersion', 'creationDate', 'epcisBody'],
  properties: {
    '@context': CONTEXT,
    type: { type: 'string', enum: ['EPCISQueryDocument'] },
    schemaVersion: { type: 'string', example: '2.0' },
    creationDate: { type: 'string', format: 'date-time' },
    epcisBody: {
      type: 'object',
      required: ['queryResults'],
      properties: {
        queryResults: {
          type: 'object',
          required: ['queryName', 'resultsBody'],
          properties: {
            queryName: { type: 'string', example: 'SimpleEventQuery' },
            resultsBody: { type: 'object', required: ['eventList'], properties: { eventList: { type: 'array', items: EVENT } } },
          },
        },
      },
    },
  },
};

export const EPCIS_EVENT_SCHEMA = { ...EVENT, required: ['@context', ...EVENT.required], properties: { '@context': CONTEXT, ...EVENT.properties } };
