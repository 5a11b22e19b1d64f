import { JsonSchemaPipe } from './json-schema.pipe';
import { ProblemException } from './problem';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['kg'], properties: { kg: { type: 'number', minimum: 0.1, example: 1 } } },
    },
  },
};

const errorsOf = (pipe: JsonSchemaPipe<unknown>, value: unknown) => {
  try {
    pipe.transform(value);
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemException);
    return (err as ProblemException).problem;
  }
  throw new Error('no error');
};

describe('JsonSchemaPipe', () => {
  const pipe = new JsonSchemaPipe<{ items: Array<{ kg: number }> }>(SCHEMA);

  it('passes a valid body through untouched', () => {
    const body = { items: [{ kg: 1 }, { kg: 2.5 }] };
    expect(pipe.transform(body)).toBe(body);
  });

  it('answers 400 validation problems naming each field: unknown fields refused, nothing coerced', () => {
    const problem = errorsOf(pipe, { items: [{ kg: '2' }, { kg: 0 }, { kg: 1, colour: 'red' }], extra: true });
    expect(problem).toMatchObject({ status: 400, type: 'urn:firstmile:problem:validation' });
    expect(problem.errors).toEqual([
      { field: 'extra', message: 'is not a known field' },
      { field: 'items.0.kg', message: 'must be number' },
      { field: 'items.1.kg', message: 'must be >= 0.1' },
      { field: 'items.2.colour', message: 'is not a known field' },
    ]);
  });

  it('reports at most 20 errors for a body wrong everywhere', () => {
    const problem = errorsOf(pipe, { items: Array.from({ length: 500 }, () => ({ kg: -1 })) });
    expect(problem.errors).toHaveLength(20);
    expect(errorsOf(pipe, 'not an object').errors).toEqual([{ field: '(body)', message: 'must be object' }]);
  });
});
