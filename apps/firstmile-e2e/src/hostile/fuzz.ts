import fc from 'fast-check';
import type { ServiceName } from '../stack';
import {
  type ArbitraryContext,
  encodeSegment,
  hostileArbitrary,
  junkArbitrary,
  NASTY_STRINGS,
  type OpenApiDoc,
  type OperationObject,
  paramArbitrary,
  RAW_BODIES,
  type SchemaObject,
  typeViolations,
  validArbitrary,
} from './openapi-arbitrary';
import { CALLER_NAMES, DC_XIAN, LIXIAN, type RawRequest, type World, XUNWU } from './world';

/** Fixed by default so CI is reproducible; FUZZ_SEED and FUZZ_RUNS (per service) vary it. */
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20_260_808);
export const FUZZ_RUNS = Number(process.env['FUZZ_RUNS'] ?? 800);

export interface Operation {
  method: string;
  /** OpenAPI path template, `/v1/lots/{id}`. */
  path: string;
  op: OperationObject;
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

/** A fuzz request, with the JSON schema its operation states for the body (for the oracle below). */
export type FuzzRequest = RawRequest & { bodySchema?: SchemaObject };

/**
 * An accepted body must round-trip with the types the schema states: a 2xx means the service took a
 * body whose values have those types, and the answer does not give back as a string what the schema
 * says is a number or a boolean. (Numeric strings passed `@IsLatitude` and were stored and published
 * as strings.) The answer is only checked for that symptom: it may reuse a request field's name for
 * something else (a measurement batch's `fruits` is a list in the request, a count in the answer).
 */
export function roundTripViolations(r: FuzzRequest, status: number, answer: unknown, doc: OpenApiDoc): string[] {
  if (status < 200 || status >= 300 || !r.bodySchema || !r.body || !('json' in r.body)) return [];
  const echoed = answer === undefined ? [] : typeViolations(r.bodySchema, answer, doc).filter((v) => /: string, not (number|integer|boolean)$/.test(v));
  return [
    ...typeViolations(r.bodySchema, r.body.json, doc).map((v) => `${status} for a body of the wrong type: ${v}`),
    ...echoed.map((v) => `${status} answer gives back a string for: ${v}`),
  ];
}

/** Real ids and values by property or parameter name, so some requests get past validation. */
export function dictionaryOf(w: World): Record<string, readonly string[]> {
  const warehouses = [LIXIAN, XUNWU, DC_XIAN, 'DC-HANGZHOU'];
  return {
    id: [w.coopA, w.coopB, w.lotA, w.lotA2, w.lotB, w.orderA, w.shipmentA, w.transferA, ...warehouses],
    lotId: [w.lotA, w.lotA2, w.lotB],
    traceCode: [w.traceCodeA],
    cooperativeId: [w.coopA, w.coopB],
    growerId: [w.growerA, w.growerB],
    orchardId: [w.orchardA, w.orchardB],
    originWarehouseId: warehouses,
    fromWarehouseId: warehouses,
    toWarehouseId: warehouses,
    warehouseId: warehouses,
    subLotId: [w.subLotA],
    shipmentId: [w.shipmentA],
    orderId: [w.orderA],
    produce: ['apple', 'passion_fruit'],
    grade: ['premium', 'grade_1', 'grade_2', 'extra'],
    minGrade: ['premium', 'grade_1', 'grade_2'],
    county: ['CN-GS-LIXIAN', 'CN-JX-XUNWU'],
    counties: ['CN-GS-LIXIAN', 'CN-JX-XUNWU'],
    brand: ['Lixian Apple (礼县苹果)'],
  };
}

const CONTENT_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml'];

/**
 * One request to `op`: odd path params and queries, a valid-ish or hostile body, and a caller —
 * mostly one the route admits (`admitted`, probed beforehand), so that most requests get past the
 * role check, and sometimes anyone at all.
 */
export function requestArbitrary(
  service: ServiceName,
  o: Operation,
  ctx: ArbitraryContext,
  auth: (caller: string) => string | undefined,
  admitted: readonly string[] = [],
): fc.Arbitrary<FuzzRequest> {
  const params = o.op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const bodySchema = o.op.requestBody?.content?.['application/json']?.schema;

  const segments = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, fc.tuple(paramArbitrary(p.name, ctx, p.schema), fc.boolean())])));
  const query = fc.tuple(
    fc.record(
      Object.fromEntries(
        queryParams.map((p) => [
          p.name,
          // Junk capped at 2,000 characters: a URL over Node's 16 KB header limit is refused before
          // the service runs (tested once, on its own, in hostile.e2e-spec.ts).
          fc.option(fc.oneof(paramArbitrary(p.name, ctx, p.schema), junkArbitrary().map((v) => (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 2_000))), { nil: undefined }),
        ]),
      ),
    ),
    // an unknown parameter, or a known one twice
    fc.option(fc.tuple(fc.oneof(fc.constantFrom(...queryParams.map((p) => p.name), 'extra', '__proto__', 'limit[]'), fc.string({ maxLength: 8 })), fc.constantFrom(...NASTY_STRINGS)), {
      nil: undefined,
    }),
  );
  const validBody = bodySchema ? validArbitrary(bodySchema, ctx) : fc.constant(undefined);
  const hostileBody = bodySchema ? hostileArbitrary(bodySchema, ctx) : junkArbitrary();
  const body: fc.Arbitrary<RawRequest['body']> = fc.oneof(
    { arbitrary: validBody.map((json) => (json === undefined ? undefined : { json })), weight: bodySchema ? 3 : 4 },
    { arbitrary: hostileBody.map((json) => ({ json })), weight: bodySchema ? 4 : 1 },
    { arbitrary: fc.record({ raw: fc.constantFrom(...RAW_BODIES), contentType: fc.constantFrom(...CONTENT_TYPES) }), weight: 1 },
  );
  const headers = fc.option(
    fc.record({ 'idempotency-key': fc.oneof(fc.uuid(), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7E]/g, 'x').trim() || 'k')) }),
    { nil: undefined },
  );

  const anyone = fc.constantFrom<string>(...CALLER_NAMES, 'forged');
  const caller = admitted.length ? fc.oneof({ arbitrary: fc.constantFrom(...admitted), weight: 4 }, { arbitrary: anyone, weight: 1 }) : anyone;
  return fc
    .record({ caller, segments, query, body, headers })
    .map(({ caller, segments: seg, query: [q, extra], body: b, headers: h }) => {
      let path = o.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const [value, raw] = seg[name] ?? ['', false];
        return encodeSegment(value, raw);
      });
      const pairs = Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined);
      if (extra) pairs.push(extra);
      const search = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeSegment(v)}`).join('&');
      // Stay under Node's 16 KB header limit, which answers before the service runs.
      if (search && path.length + search.length < 12_000) path += `?${search}`;
      return {
        method: o.method,
        service,
        path,
        authorization: auth(caller),
        as: caller,
        ...(b === undefined ? {} : { body: b }),
        ...(h ? { headers: h } : {}),
        ...(bodySchema ? { bodySchema } : {}),
      };
    });
}

/** The requests of a whole service: its operations chosen evenly. */
export function serviceArbitrary(
  service: ServiceName,
  doc: OpenApiDoc,
  ctx: ArbitraryContext,
  auth: (caller: string) => string | undefined,
  admitted: (o: Operation) => readonly string[] = () => [],
): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(...operationsOf(doc).map((o) => requestArbitrary(service, o, ctx, auth, admitted(o))));
}

/** `/v1/lots/{id}` with every parameter filled by `value`. */
export const fillPath = (template: string, value: string) => template.replace(/\{\w+\}/g, value);

/** How a request reads in a failure message. */
export function describeRequest(r: RawRequest, caller?: string): string {
  const body = r.body === undefined ? '' : 'json' in r.body ? JSON.stringify(r.body.json) : `(${r.body.contentType ?? 'no content-type'}) ${JSON.stringify(r.body.raw)}`;
  const who = caller ?? r.as;
  return `${r.method} ${r.service}${r.path.slice(0, 200)}${who ? ` as ${who}` : ''} ${body.slice(0, 300)}`;
}
