import fc from 'fast-check';

/**
 * fast-check arbitraries from an OpenAPI 3.0 document — the subset @nestjs/swagger emits ($ref,
 * object/array/string/number/integer/boolean, enum, required, minimum/maximum, min/maxLength,
 * min/maxItems, pattern, format, example, allOf/oneOf/anyOf, nullable).
 *
 * There is no well-kept schema→arbitrary package on npm (json-schema-fast-check pins fast-check 1 and
 * faker 4), so this is a small converter with its own unit tests (openapi-arbitrary.spec.ts).
 *
 * Two kinds of value:
 * - `valid`: what the schema allows, with a dictionary of known values (real ids) mixed in by property
 *   name, so that the requests reach past validation into the services' own logic;
 * - `hostile`: a valid value with one defect somewhere — a wrong type, a missing required field, an
 *   unknown field, a huge or odd string, an edge number, prototype keys — or plain garbage.
 */

export interface SchemaObject {
  $ref?: string;
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  exclusiveMaximum?: boolean | number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  example?: unknown;
  nullable?: boolean;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  additionalProperties?: boolean | SchemaObject;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

export interface OperationObject {
  parameters?: ParameterObject[];
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
}

export interface ArbitraryContext {
  doc: OpenApiDoc;
  /** Known values by property or parameter name (`cooperativeId`, `id`…), mixed into valid values. */
  dictionary?: Record<string, readonly string[]>;
  /** Largest array a valid value gets (keeps requests small); default 4. */
  maxArray?: number;
}

const MAX_DEPTH = 8;

/** Follows `#/components/schemas/X` references and merges `allOf`. */
export function resolve(schema: SchemaObject, doc: OpenApiDoc, seen = 0): SchemaObject {
  if (seen > MAX_DEPTH) throw new Error('schema $ref chain too deep');
  if (schema.$ref) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name ? doc.components?.schemas?.[name] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return resolve(target, doc, seen + 1);
  }
  if (schema.allOf?.length) {
    const parts = schema.allOf.map((s) => resolve(s, doc, seen + 1));
    const { allOf: _allOf, ...rest } = schema;
    return parts.reduce<SchemaObject>(
      (acc, p) => ({
        ...acc,
        ...p,
        properties: { ...acc.properties, ...p.properties },
        required: [...(acc.required ?? []), ...(p.required ?? [])],
      }),
      rest,
    );
  }
  return schema;
}

function typeOf(s: SchemaObject): SchemaObject['type'] {
  if (s.type) return s.type;
  if (s.properties) return 'object';
  if (s.items) return 'array';
  // @nestjs/swagger leaves out `type` for a Number property with only min/max (e.g. `limit`).
  if (s.minimum !== undefined || s.maximum !== undefined) return 'number';
  return undefined;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Values the schema allows. */
export function validArbitrary(schema: SchemaObject, ctx: ArbitraryContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, ctx.doc);
  const known = name ? ctx.dictionary?.[name] : undefined;
  const withNull = (a: fc.Arbitrary<unknown>) => (s.nullable ? fc.oneof({ arbitrary: a, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 }) : a);
  if (s.enum?.length) return withNull(fc.constantFrom(...s.enum));
  if (s.oneOf?.length || s.anyOf?.length) return fc.oneof(...(s.oneOf ?? s.anyOf ?? []).map((x) => validArbitrary(x, ctx, name, depth + 1)));
  const fromExample = s.example !== undefined ? [fc.constant(s.example)] : [];
  const fromDictionary = known?.length ? [fc.constantFrom(...known)] : [];
  const prefer = (own: fc.Arbitrary<unknown>) =>
    withNull(
      fromDictionary.length || fromExample.length
        ? fc.oneof({ arbitrary: fc.oneof(...fromDictionary, ...fromExample), weight: 3 }, { arbitrary: own, weight: 1 })
        : own,
    );

  switch (typeOf(s)) {
    case 'string': {
      if (s.format === 'date-time' || s.format === 'date') {
        const now = Date.now();
        const date = fc.date({ min: new Date(now - 40 * 86_400_000), max: new Date(now + 2 * 86_400_000), noInvalidDate: true });
        return prefer(date.map((d) => (s.format === 'date' ? d.toISOString().slice(0, 10) : d.toISOString())));
      }
      if (s.format === 'uuid') return prefer(fc.uuid());
      if (s.pattern) return prefer(fc.stringMatching(new RegExp(s.pattern)));
      const minLength = s.minLength ?? 0;
      const maxLength = Math.min(s.maxLength ?? 40, Math.max(minLength, 40));
      return prefer(fc.string({ minLength, maxLength, unit: 'grapheme' }));
    }
    case 'integer':
    case 'number': {
      const min = s.minimum ?? -1_000_000;
      const max = s.maximum ?? 1_000_000;
      if (typeOf(s) === 'integer' || (Number.isInteger(min) && Number.isInteger(max) && name === 'limit')) {
        return prefer(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }));
      }
      return prefer(
        fc.oneof(
          fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
          fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => Math.min(max, Math.max(min, round3(x)))),
        ),
      );
    }
    case 'boolean':
      return withNull(fc.boolean());
    case 'array': {
      const minLength = s.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? Infinity, ctx.maxArray ?? 4));
      if (depth > MAX_DEPTH) return fc.constant([]);
      return withNull(fc.array(validArbitrary(s.items ?? {}, ctx, name, depth + 1), { minLength, maxLength }));
    }
    case 'object': {
      if (depth > MAX_DEPTH) return fc.constant({});
      const props = s.properties ?? {};
      const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validArbitrary(v, ctx, k, depth + 1)]));
      return withNull(fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in props) }));
    }
    default:
      return prefer(fc.jsonValue({ maxDepth: 2 }));
  }
}

/** Strings that have broken parsers, queries and logs elsewhere. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x1F',
  '__proto__',
  'constructor',
  'prototype',
  '$where',
  '{"$gt":""}',
  '../../../../etc/passwd',
  '..%2f..%2f',
  '%',
  '%zz',
  '%00',
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '\r\nX-Injected: 1',
  '礼县苹果',
  '🍎🍏👩🏽‍🌾',
  '\u202Eevil',
  '\uD800',
  'Ａｐｐｌｅ',
  'a'.repeat(1_000),
];

/** A value of any JSON type, biased to edges: what a field of any type might be sent instead. */
export function junkArbitrary(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(null, true, false, 0, -0, -1, 0.0001, 1e-9, 2 ** 53 + 2, 1e308, -1e308, [], {}, [null], { $gt: '' }, { $ne: null }),
    fc.constantFrom(...NASTY_STRINGS),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'x'.repeat(n)),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

/** JSON text that does not parse, or a JSON value that is no object at all. */
export const RAW_BODIES: readonly string[] = [
  '',
  '{',
  '{"a":}',
  '[]',
  'null',
  '"a string"',
  '42',
  'true',
  '{"a":1}{"b":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
  `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`,
  '\uFEFF{}',
  '{"a":"\\ud800"}',
];

/** A value of the schema with one defect somewhere in it, or junk. */
export function hostileArbitrary(schema: SchemaObject, ctx: ArbitraryContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, ctx.doc);
  const junk = junkArbitrary();
  if (depth > MAX_DEPTH) return junk;
  const type = s.enum?.length ? 'enum' : typeOf(s);
  switch (type) {
    case 'object': {
      const props = s.properties ?? {};
      const required = (s.required ?? []).filter((k) => k in props);
      const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validArbitrary(v, ctx, k, depth + 1)]));
      const valid = fc.record(model, { requiredKeys: required });
      const variants: fc.Arbitrary<unknown>[] = [
        junk,
        // an unknown field, or a prototype key next to valid ones
        fc
          .tuple(valid, fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', 'id', '_id', 'extra'), fc.string({ minLength: 1, maxLength: 12 })), junk)
          .map(([v, k, x]) => JSON.parse(JSON.stringify({ ...(v as object), [k === '__proto__' ? '__proto_' : k]: x }).replace('"__proto_"', '"__proto__"')) as unknown),
      ];
      for (const k of Object.keys(props)) {
        // one property replaced by a hostile value of its own schema
        variants.push(fc.record({ ...model, [k]: hostileArbitrary(props[k], ctx, k, depth + 1) }, { requiredKeys: [...new Set([...required, k])] }));
      }
      for (const k of required) {
        // one required property missing
        const { [k]: _drop, ...rest } = model;
        variants.push(fc.record(rest, { requiredKeys: required.filter((r) => r !== k) }));
      }
      return fc.oneof(...variants);
    }
    case 'array': {
      const item = s.items ?? {};
      const maxItems = s.maxItems;
      return fc.oneof(
        junk,
        fc.tuple(fc.array(validArbitrary(item, ctx, name, depth + 1), { maxLength: 3 }), hostileArbitrary(item, ctx, name, depth + 1)).map(([xs, x]) => [...xs, x]),
        // one more than allowed, or very many
        fc.tuple(validArbitrary(item, ctx, name, depth + 1), fc.constantFrom(...[maxItems !== undefined ? maxItems + 1 : 1_001, 10_001])).map(([x, n]) =>
          Array.from({ length: n }, () => x),
        ),
      );
    }
    case 'enum':
      return fc.oneof(junk, fc.constantFrom(...(s.enum ?? []).map((v) => (typeof v === 'string' ? v.toUpperCase() : v))), fc.string({ maxLength: 12 }));
    case 'number':
    case 'integer': {
      const edges = [s.minimum, s.maximum].filter((x): x is number => x !== undefined).flatMap((x) => [x - 1, x - 0.0001, x + 0.0001, x + 1]);
      return fc.oneof(junk, fc.constantFrom(...edges, 0.1234567, -0.0, 2 ** 31, 1e21, '1', '1e3', 'NaN'));
    }
    default:
      return junk;
  }
}

/**
 * Where `value` does not have the JSON types `schema` states: `$.location.lat: string, not number`.
 * Only types (and `nullable`), and only properties present in both — the oracle for "an accepted body
 * round-trips with the types the schema states": a service that took `"34.2"` for a number stored and
 * published a string. Ranges, patterns and required properties are the validation's business.
 */
export function typeViolations(schema: SchemaObject, value: unknown, doc: OpenApiDoc, path = '$', depth = 0): string[] {
  if (depth > MAX_DEPTH) return [];
  const s = resolve(schema, doc);
  if (value === null && s.nullable) return [];
  const type = typeOf(s);
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  switch (type) {
    case 'object': {
      if (actual !== 'object') return [`${path}: ${actual}, not object`];
      const o = value as Record<string, unknown>;
      // class-validator's @IsOptional() takes null for absent, everywhere: an optional property sent
      // as null is read as not sent (and is not what this oracle is about).
      const present = (k: string) => Object.hasOwn(o, k) && !(o[k] === null && !(s.required ?? []).includes(k));
      return Object.entries(s.properties ?? {}).flatMap(([k, p]) => (present(k) ? typeViolations(p, o[k], doc, `${path}.${k}`, depth + 1) : []));
    }
    case 'array':
      if (actual !== 'array') return [`${path}: ${actual}, not array`];
      return (value as unknown[]).flatMap((v, i) => typeViolations(s.items ?? {}, v, doc, `${path}[${i}]`, depth + 1));
    case 'integer':
      return actual === 'number' && Number.isInteger(value) ? [] : [`${path}: ${actual === 'number' ? 'fraction' : actual}, not integer`];
    case 'number':
    case 'string':
    case 'boolean':
      return actual === type ? [] : [`${path}: ${actual}, not ${type}`];
    default:
      return [];
  }
}

/** A string for a path segment or a query value: known ids, odd ones, huge ones. */
export function paramArbitrary(name: string, ctx: ArbitraryContext, schema?: SchemaObject): fc.Arbitrary<string> {
  const known = ctx.dictionary?.[name] ?? [];
  const fromSchema = schema ? validArbitrary(schema, ctx, name).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : fc.string();
  return fc.oneof(
    { arbitrary: known.length ? fc.constantFrom(...known) : fromSchema, weight: 3 },
    { arbitrary: fromSchema, weight: 2 },
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 24 }), weight: 1 },
    // around Fastify's 100-character limit for a path parameter (over it: 414)
    { arbitrary: fc.integer({ min: 90, max: 400 }).map((n) => 'Z'.repeat(n)), weight: 1 },
  );
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) goes as its UTF-8
 * replacement, and a few strings are left raw on purpose (`%`, `%zz`, `..%2f`), so the server sees
 * broken percent-encoding too.
 */
export function encodeSegment(value: string, raw = false): string {
  const wellFormed = value.replace(LONE_SURROGATE, '\uFFFD');
  if (raw) return wellFormed.replace(/[^\x21-\x7E]/gu, (c) => encodeURIComponent(c));
  return encodeURIComponent(wellFormed);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
