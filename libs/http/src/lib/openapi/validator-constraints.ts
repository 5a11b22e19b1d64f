import type { INestApplication, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { createApiPropertyDecorator } from '@nestjs/swagger/dist/decorators/api-property.decorator';
import { getMetadataStorage, IS_ISO8601, IS_LATITUDE, IS_LONGITUDE, IS_NUMBER } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { ISchemaConverters } from 'class-validator-jsonschema/build/defaultConverters';
import { targetConstructorToSchema } from 'class-validator-jsonschema';

/** JSON Schema keywords a class-validator rule can stand for and an OpenAPI property can carry. */
const CARRIED = [
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'enum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'multipleOf',
] as const;

/** What class-validator-jsonschema leaves out or states wider than the rule. */
const CONVERTERS: ISchemaConverters = {
  // A timestamp is what every ISO-8601 field here holds (the rule also takes a bare date). Years
  // from 1000: validator's strict mode refuses years below 100 (a JavaScript Date reads them as 19xx),
  // which RFC 3339 allows (Schemathesis found `0026-10-30T00:28:54Z` refused).
  [IS_ISO8601]: { type: 'string' as const, format: 'date-time', pattern: '^[1-9][0-9]{3}-' },
  [IS_LATITUDE]: { minimum: -90, maximum: 90 },
  [IS_LONGITUDE]: { minimum: -180, maximum: 180 },
  // `maxDecimalPlaces: 3` (kilograms to the gram) is a multiple of 0.001.
  [IS_NUMBER]: (meta: ValidationMetadata) => {
    const places = (meta.constraints?.[0] as { maxDecimalPlaces?: number } | undefined)?.maxDecimalPlaces;
    return { type: 'number' as const, ...(places === undefined ? {} : { multipleOf: Number(`1e-${places}`) }) };
  },
};

interface PropertySchema {
  [keyword: string]: unknown;
  type?: string | string[];
  items?: PropertySchema;
}

/** The carried keywords of one property as class-validator-jsonschema states them. */
export function carriedConstraints(schema: PropertySchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CARRIED) if (schema[k] !== undefined) out[k] = schema[k];
  // The type a rule checks (`@IsInt()` is an integer, a query's `limit` has no TypeScript type to read).
  if (typeof schema.type === 'string' && ['integer', 'number', 'string', 'boolean'].includes(schema.type)) out['type'] = schema.type;
  if (schema.type === 'array' && schema.items) {
    const items = carriedConstraints(schema.items);
    if (Object.keys(items).length > 1 || (Object.keys(items).length === 1 && !items['type'])) out['items'] = items;
  }
  return out;
}

const carried = new WeakSet<Type>();

function carryInto(target: Type): void {
  if (carried.has(target)) return;
  carried.add(target);
  // class-validator-jsonschema reads the rules a class inherits as well as its own.
  const schema = targetConstructorToSchema(target, { additionalConverters: CONVERTERS }) as { properties?: Record<string, PropertySchema>; required?: string[] };
  for (const [property, propertySchema] of Object.entries(schema.properties ?? {})) {
    const constraints = carriedConstraints(propertySchema);
    const required = schema.required?.includes(property) ?? false;
    // `@IsOptional()` passes null as well as absence, and the services read null as absent.
    createApiPropertyDecorator({ ...constraints, required, ...(required ? {} : { nullable: true }) }, true)(target.prototype as object, property);
  }
}

const isModel = (t: unknown): t is Type =>
  typeof t === 'function' && !!t.prototype && ![String, Number, Boolean, Object, Array, Date, Promise].includes(t as never);

/** The classes a request can reach: handler parameters and, through their properties, nested DTOs. */
function requestModels(app: INestApplication): Set<Type> {
  const found = new Set<Type>();
  const visit = (t: unknown) => {
    if (!isModel(t) || found.has(t)) return;
    found.add(t);
    const proto = t.prototype as object;
    const names = (Reflect.getMetadata('swagger/apiModelPropertiesArray', proto) as string[] | undefined) ?? [];
    for (const name of names.map((n) => n.replace(/^:/, ''))) {
      const type = (Reflect.getMetadata('swagger/apiModelProperties', proto, name) as { type?: unknown } | undefined)?.type;
      visit(typeof type === 'function' && !isModel(type) ? (type as () => unknown)() : type);
      visit(Reflect.getMetadata('design:type', proto, name));
    }
  };
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const proto = (wrapper.metatype as Type | null)?.prototype as object | undefined;
      if (!proto) continue;
      for (const key of Object.getOwnPropertyNames(proto)) {
        for (const t of (Reflect.getMetadata('design:paramtypes', proto, key) as unknown[] | undefined) ?? []) visit(t);
      }
    }
  }
  return found;
}

/**
 * The request schemas say what the validators enforce: every class class-validator knows, and every
 * class a route's parameters reach (a subclass that adds only examples included), gets its rules
 * (lengths, ranges, patterns, enums, which properties are optional) written into the OpenAPI
 * property metadata @nestjs/swagger documents, by class-validator-jsonschema, at start-up and before
 * the document is built. A rule added to a DTO reaches the contract without a second, hand-written
 * copy in `@ApiProperty` (what the swagger CLI plugin's `classValidatorShim` does at compile time,
 * which the swc build here does not run). A description or example stays as written.
 */
export function carryValidatorConstraints(app: INestApplication): void {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<Type, unknown[]> };
  for (const target of storage.validationMetadatas.keys()) if (isModel(target)) carryInto(target);
  for (const target of requestModels(app)) carryInto(target);
}
