import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { stringify } from 'yaml';
import { EventCatalog, type EventType } from './catalog';
import { EventExamples } from './examples';

// class-transformer ships no declaration for its storage module (the type lives in types/).
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

/**
 * The event catalog as an AsyncAPI 3.0 document: one channel per topic, one message per event
 * type, payload schemas generated from the same class-validator rules the consumers enforce.
 */
export function asyncApiDocument(): Record<string, unknown> {
  // class-transformer's `@Type(() => X)` names what an array holds; without it, `ValidateNested({ each: true })`
  // referred to a schema called `Array` that does not exist (the parser's invalid-ref).
  const schemas = validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/', classTransformerMetadataStorage: defaultMetadataStorage });
  const entries = Object.entries(EventCatalog);
  const topics = [...new Set(entries.map(([, d]) => d.topic as string))].sort();
  const messageName = (type: string) => type.replace(/^firstmile\./, '').replace(/[^A-Za-z0-9]+/g, '_');

  const messages = Object.fromEntries(
    entries.map(([type, d]) => [
      messageName(type),
      {
        name: type,
        title: d.payload.name,
        contentType: 'application/json',
        headers: { $ref: '#/components/schemas/CloudEventsHeaders' },
        payload: { $ref: `#/components/schemas/${d.payload.name}` },
        bindings: { kafka: { key: { type: 'string', description: 'the aggregate id' } } },
        examples: [{ name: messageName(type), payload: EventExamples[type as EventType] }],
      },
    ]),
  );

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Firstmile events',
      version: '1',
      description:
        'Generated from libs/contracts (regenerate: UPDATE_DOCS=1 npm run test:unit -- asyncapi). CloudEvents 1.0 in Kafka binary mode; retry topics `<topic>.retry.<n>`, dead letters `<topic>.dlt`.',
    },
    channels: Object.fromEntries(
      topics.map((topic) => [
        topic.replace(/\./g, '_'),
        {
          address: topic,
          messages: Object.fromEntries(
            entries.filter(([, d]) => d.topic === topic).map(([type]) => [messageName(type), { $ref: `#/components/messages/${messageName(type)}` }]),
          ),
        },
      ]),
    ),
    components: {
      messages,
      schemas: {
        CloudEventsHeaders: {
          type: 'object',
          required: ['ce_id', 'ce_type', 'ce_source', 'ce_specversion', 'ce_time', 'content-type'],
          properties: {
            ce_id: { type: 'string' },
            ce_type: { type: 'string' },
            ce_source: { type: 'string' },
            ce_specversion: { const: '1.0' },
            ce_time: { type: 'string', format: 'date-time' },
            ce_subject: { type: 'string' },
            'content-type': { const: 'application/json' },
            traceparent: { type: 'string' },
            tracestate: { type: 'string' },
          },
        },
        ...Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      },
    },
  };
}

export const asyncApiYaml = (): string => stringify(asyncApiDocument(), { lineWidth: 0, sortMapEntries: false });
