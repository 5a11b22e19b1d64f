/**
 * A grading line's batch of fruit measurements: up to 10,000 fruits per request, so this body is
 * validated by a JSON schema compiled once (`JsonSchemaPipe`, ajv), not by class-validator:
 * building and checking 10,000 class instances was most of the ingest's cost. The same schema
 * documents the route (OpenAPI). Unknown fields are refused and nothing is coerced, as everywhere.
 */
export const MAX_FRUITS_PER_BATCH = 10_000;

const finite = (minimum: number, maximum: number, example: number) => ({ type: 'number', minimum, maximum, example }) as const;

export const MEASUREMENT_BATCH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['batchId', 'fruits'],
  properties: {
    batchId: {
      type: 'string',
      pattern: '^[A-Za-z0-9_:-]{1,100}$',
      description: 'Unique per batch; resending a batch id changes nothing',
      example: 'line-2-2026-10-21T08:00:00-0001',
    },
    fruits: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_FRUITS_PER_BATCH,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['weightG'],
        properties: {
          weightG: finite(0.1, 5000, 245.3),
          diameterMm: finite(1, 300, 78.5),
          colorCoveragePct: finite(0, 100, 85),
          defects: {
            type: 'array',
            maxItems: 20,
            items: { type: 'string', pattern: '^[a-z0-9_]{1,40}$' },
            description: 'Defect types, as the standards name them (GET /v1/standards)',
            example: ['bruise_slight'],
          },
        },
      },
    },
  },
} as const;

export interface Fruit {
  weightG: number;
  diameterMm?: number;
  colorCoveragePct?: number;
  defects?: string[];
}

export interface MeasurementBatch {
  batchId: string;
  fruits: Fruit[];
}
