import { Injectable, type PipeTransform } from '@nestjs/common';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { type FieldError, ProblemException } from './problem';

/** At most this many field errors in one answer: a 10,000-item body can be wrong 10,000 times. */
const MAX_FIELD_ERRORS = 20;

/**
 * The same rules as the ValidationPipe: unknown fields are refused rather than dropped, nothing is
 * coerced, and every error is reported. `example` is OpenAPI's annotation; it checks nothing.
 */
const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, keywords: ['example'] });

/**
 * Validates a body against a JSON schema compiled once, for bodies too large for class-validator:
 * building and checking 10,000 class instances per request costs far more than the request's own
 * work. Runs as a parameter pipe, after the guards, so callers without a token or the right role
 * still get 401/403 before a word about their body. Errors answer as the ValidationPipe's do.
 *
 *   @Body(new JsonSchemaPipe(SCHEMA)) body: BodyType
 *
 * The parameter's type must be an interface (not a class), or the global ValidationPipe runs too.
 */
@Injectable()
export class JsonSchemaPipe<T> implements PipeTransform<unknown, T> {
  private readonly check: ValidateFunction<T>;

  constructor(schema: object) {
    this.check = ajv.compile<T>(schema);
  }

  transform(value: unknown): T {
    if (this.check(value)) return value;
    throw ProblemException.validation(fieldErrors(this.check.errors ?? []));
  }
}

/** `/fruits/3/weightG must be >= 0.1` → `{ field: 'fruits.3.weightG', message: 'must be >= 0.1' }`. */
function fieldErrors(errors: ErrorObject[]): FieldError[] {
  return errors.slice(0, MAX_FIELD_ERRORS).map((e) => {
    const path = e.instancePath.split('/').filter(Boolean);
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    if (e.keyword === 'additionalProperties' && extra) return { field: [...path, extra].join('.'), message: 'is not a known field' };
    return { field: path.join('.') || '(body)', message: e.message ?? 'is not valid' };
  });
}
