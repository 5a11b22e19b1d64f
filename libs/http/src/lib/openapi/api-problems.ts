import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../problems/problem';

export const PROBLEM_SCHEMA_NAME = 'Problem';
export const problemRef = { $ref: `#/components/schemas/${PROBLEM_SCHEMA_NAME}` };

/** RFC 9457 problem details as every service answers them (libs/http `problem.ts`). */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'A URN naming the kind of problem', example: 'urn:firstmile:problem:not-found' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The path the problem is about' },
    errors: {
      type: 'array',
      description: 'Which fields failed validation (400 urn:firstmile:problem:validation)',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

/** What each status means here, for the operations that can answer it. */
export const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request does not validate (problem+json; `errors` lists the fields)',
  401: 'No valid bearer token',
  403: "The token's role may not call this",
  404: 'No such resource, or not one the caller may see',
  405: 'Method not allowed on this path (`Allow` lists the ones that are)',
  409: 'Conflicts with the current state of the resource',
  413: 'The body is larger than BODY_LIMIT_BYTES',
  414: 'A path parameter is longer than the router takes',
  415: 'The body is not application/json',
  422: 'Well-formed but refused by a business rule, or an Idempotency-Key reused with another body or caller',
  429: 'Rate limit exceeded; retry after `Retry-After` seconds',
  431: 'The request line (a long query string) or headers exceed the size limit',
  503: 'A dependency is down (the service\'s database did not answer); repeat after `Retry-After` seconds',
};

/** One problem+json response per status, for what a route answers beyond what `describeBehaviour` infers. */
export const ApiProblems = (...statuses: Array<number | { status: number; description: string }>) =>
  applyDecorators(
    ...statuses.map((s) => {
      const { status, description } = typeof s === 'number' ? { status: s, description: PROBLEM_DESCRIPTIONS[s] ?? 'Problem' } : s;
      return ApiResponse({ status, description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } } });
    }),
  );

/** The characters of `newId`/`derivedId` (@firstmile/persistence): Crockford base32. */
const ID_BODY = '[0-9A-HJKMNP-TV-Z]{10}';

/** A path parameter holding one of our ids (`LOT-7K3QH9WZ2M`), pattern and example included. */
export const ApiIdParam = (name: string, prefix: string, description?: string) =>
  ApiParam({ name, description: description ?? `${prefix}- id`, schema: { type: 'string', pattern: `^${prefix}-${ID_BODY}$`, example: `${prefix}-7K3QH9WZ2M` } });

/** A path parameter holding a human-readable code (warehouse ids such as `WH-LIXIAN-ORIGIN`). */
export const ApiCodeParam = (name: string, pattern: RegExp, example: string, description?: string) =>
  ApiParam({ name, ...(description ? { description } : {}), schema: { type: 'string', pattern: pattern.source, example } });
