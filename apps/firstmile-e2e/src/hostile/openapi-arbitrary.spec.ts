import fc from 'fast-check';
import { encodeSegment, hostileArbitrary, type OpenApiDoc, paramArbitrary, resolve, type SchemaObject, typeViolations, validArbitrary } from './openapi-arbitrary';

/** What @nestjs/swagger emits for a DTO like PlaceOrderDto. */
const doc: OpenApiDoc = {
  paths: {},
  components: {
    schemas: {
      Point: { type: 'object', properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, lon: { type: 'number', minimum: -180, maximum: 180 } }, required: ['lat', 'lon'] },
      Line: {
        type: 'object',
        properties: {
          produce: { type: 'string', example: 'apple' },
          grade: { type: 'string', enum: ['premium', 'grade_1'] },
          quantityKg: { type: 'number', minimum: 0.001, maximum: 100000 },
          crates: { type: 'integer', minimum: 1, maximum: 10 },
          code: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{2}$' },
          at: { type: 'string', format: 'date-time' },
        },
        required: ['produce', 'grade', 'quantityKg'],
      },
      Order: {
        type: 'object',
        properties: {
          cooperativeId: { type: 'string' },
          where: { $ref: '#/components/schemas/Point' },
          lines: { type: 'array', items: { $ref: '#/components/schemas/Line' }, minItems: 1, maxItems: 3 },
          limit: { minimum: 1, maximum: 500 },
        },
        required: ['cooperativeId', 'where', 'lines'],
      },
      Both: { allOf: [{ $ref: '#/components/schemas/Point' }, { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }] },
    },
  },
};
const ctx = { doc, dictionary: { cooperativeId: ['COOP-A', 'COOP-B'] } };
const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });

/** A test oracle for the subset the converter handles: the reasons a value does not conform. */
function violations(schema: SchemaObject, value: unknown, path = '$'): string[] {
  const s = resolve(schema, doc);
  if (s.enum) return s.enum.includes(value) ? [] : [`${path}: not in enum`];
  const type = s.type ?? (s.properties ? 'object' : s.items ? 'array' : s.minimum !== undefined ? 'number' : undefined);
  switch (type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object`];
      const o = value as Record<string, unknown>;
      return [
        ...(s.required ?? []).filter((k) => !(k in o)).map((k) => `${path}.${k}: missing`),
        ...Object.keys(o)
          .filter((k) => !(k in (s.properties ?? {})))
          .map((k) => `${path}.${k}: unknown`),
        ...Object.entries(o).flatMap(([k, v]) => (s.properties?.[k] ? violations(s.properties[k], v, `${path}.${k}`) : [])),
      ];
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${path}: not an array`];
      const size = [...(value.length < (s.minItems ?? 0) ? ['too few'] : []), ...(value.length > (s.maxItems ?? Infinity) ? ['too many'] : [])];
      return [...size.map((m) => `${path}: ${m}`), ...value.flatMap((v, i) => violations(s.items ?? {}, v, `${path}[${i}]`))];
    }
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: not a number`];
      if (type === 'integer' && !Number.isInteger(value)) return [`${path}: not an integer`];
      return value < (s.minimum ?? -Infinity) || value > (s.maximum ?? Infinity) ? [`${path}: out of range`] : [];
    case 'string':
      if (typeof value !== 'string') return [`${path}: not a string`];
      if (s.pattern && !new RegExp(s.pattern).test(value)) return [`${path}: does not match ${s.pattern}`];
      if (s.format === 'date-time' && Number.isNaN(Date.parse(value))) return [`${path}: not a date-time`];
      return [];
    default:
      return [];
  }
}

describe('OpenAPI schema → fast-check arbitraries', () => {
  it('resolves $ref and merges allOf', () => {
    expect(resolve(ref('Point'), doc).required).toEqual(['lat', 'lon']);
    const both = resolve(ref('Both'), doc);
    expect(Object.keys(both.properties ?? {}).sort()).toEqual(['lat', 'lon', 'name']);
    expect(both.required).toEqual(['lat', 'lon', 'name']);
    expect(() => resolve({ $ref: '#/components/schemas/Nope' }, doc)).toThrow(/unresolvable/);
  });

  it('valid values conform to the schema', () => {
    fc.assert(
      fc.property(validArbitrary(ref('Order'), ctx), (v) => {
        expect(violations(ref('Order'), v)).toEqual([]);
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it('valid values use the dictionary and the examples', () => {
    const values = fc.sample(validArbitrary(ref('Order'), ctx), { seed: 2, numRuns: 200 }) as Array<{ cooperativeId: string; lines: Array<{ produce: string }> }>;
    expect(values.filter((v) => ['COOP-A', 'COOP-B'].includes(v.cooperativeId)).length).toBeGreaterThan(100);
    expect(values.flatMap((v) => v.lines).some((l) => l.produce === 'apple')).toBe(true);
  });

  it('hostile values break the schema (or are junk), and reach every property', () => {
    const values = fc.sample(hostileArbitrary(ref('Order'), ctx), { seed: 3, numRuns: 1_000 });
    const broken = values.map((v) => violations(ref('Order'), v));
    // A hostile value may still conform (a junk string in a field that takes any string): a few do.
    expect(broken.filter((b) => b.length === 0).length).toBeLessThan(values.length * 0.2);
    const where = new Set(broken.flat().map((m) => m.replace(/\[\d+\]/g, '[]').split(':')[0]));
    for (const path of ['$', '$.cooperativeId', '$.where', '$.where.lat', '$.lines', '$.lines[].grade', '$.lines[].quantityKg', '$.lines[].code', '$.limit']) {
      expect(where).toContain(path);
    }
    expect(broken.flat().some((m) => m.endsWith('missing'))).toBe(true);
    expect(broken.flat().some((m) => m.endsWith('unknown'))).toBe(true);
    expect(broken.flat().some((m) => m.endsWith('too many'))).toBe(true);
  });

  it('hostile objects can carry a __proto__ key that survives JSON', () => {
    const values = fc.sample(hostileArbitrary(ref('Point'), ctx), { seed: 4, numRuns: 3_000 });
    expect(values.some((v) => typeof v === 'object' && v !== null && Object.hasOwn(v, '__proto__') && JSON.stringify(v).includes('"__proto__"'))).toBe(true);
  });

  it('path parameters mix known ids, odd strings and huge ones', () => {
    const values = fc.sample(paramArbitrary('cooperativeId', ctx, { type: 'string' }), { seed: 5, numRuns: 500 });
    expect(values).toContain('COOP-A');
    expect(values.some((v) => v.length > 100)).toBe(true);
    expect(values).toContain('%zz');
  });

  it('encodes any string as a path segment, lone surrogates included', () => {
    expect(encodeSegment('a/b c')).toBe('a%2Fb%20c');
    expect(encodeSegment('\uD800x')).toBe('%EF%BF%BDx');
    expect(encodeSegment('%zz', true)).toBe('%zz');
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => /^[\x21-\x7E]*$/.test(encodeSegment(s))));
  });

  it('tells where a value does not have the types the schema states (the fuzz\'s round-trip oracle)', () => {
    fc.assert(fc.property(validArbitrary(ref('Order'), ctx), (v) => expect(typeViolations(ref('Order'), v, doc)).toEqual([])), { seed: 6, numRuns: 200 });
    const order = { cooperativeId: 'COOP-A', where: { lat: '34.2', lon: 105 }, lines: [{ produce: 'apple', grade: 'premium', quantityKg: 1, crates: 1.5 }], extra: '1' };
    expect(typeViolations(ref('Order'), order, doc)).toEqual(['$.where.lat: string, not number', '$.lines[0].crates: fraction, not integer']);
    expect(typeViolations(ref('Order'), { where: [{ lat: 1, lon: 2 }], lines: 'x' }, doc)).toEqual(['$.where: array, not object', '$.lines: string, not array']);
    // A response with more fields than the request: only the ones the schema names are checked.
    expect(typeViolations(ref('Point'), { lat: 1, lon: 2, id: 'P-1' }, doc)).toEqual([]);
    // An optional property sent as null is read as absent (class-validator's @IsOptional); a required one is not.
    expect(typeViolations(ref('Order'), { cooperativeId: 'C', limit: null }, doc)).toEqual([]);
    expect(typeViolations(ref('Order'), { cooperativeId: null }, doc)).toEqual(['$.cooperativeId: null, not string']);
  });
});
