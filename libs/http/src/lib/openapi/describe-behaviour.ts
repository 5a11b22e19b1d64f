import type { INestApplication, Type } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { IS_PUBLIC, ROLES_KEY } from '../auth/auth.decorators';
import { IDEMPOTENT, BY_RESOURCE } from '../idempotency/idempotency.interceptor';
import { PROBLEM_CONTENT_TYPE } from '../problems/problem';
import { ADDRESS_LIMIT, CALLER_LIMIT } from '../rate-limit.guard';
import { PROBLEM_DESCRIPTIONS, PROBLEM_SCHEMA, PROBLEM_SCHEMA_NAME, problemRef } from './api-problems';

/** What the guards, pipes and interceptors of a route make it answer, read from its metadata. */
export interface RouteBehaviour {
  isPublic: boolean;
  roles?: string[];
  rateLimited: boolean;
  idempotent?: 'record' | 'by-resource';
  /** `@HttpCode(...)`, if the route sets one. */
  httpCode?: number;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

function meta<T>(key: string, handler: object, controller: object): T | undefined {
  return (Reflect.getMetadata(key, handler) as T | undefined) ?? (Reflect.getMetadata(key, controller) as T | undefined);
}

/** Every controller method of the application by the operationId @nestjs/swagger gives it. */
function routeBehaviours(app: INestApplication): Map<string, RouteBehaviour> {
  const out = new Map<string, RouteBehaviour>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller?.prototype) continue;
      for (const key of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[key];
        if (key === 'constructor' || typeof handler !== 'function') continue;
        const skip = (name: string) => meta<boolean>(`THROTTLER:SKIP${name}`, handler, controller) === true;
        out.set(`${controller.name}_${key}`, {
          isPublic: meta<boolean>(IS_PUBLIC, handler, controller) === true,
          roles: meta<string[]>(ROLES_KEY, handler, controller),
          rateLimited: !(skip(CALLER_LIMIT) && skip(ADDRESS_LIMIT)),
          idempotent: Reflect.getMetadata(IDEMPOTENT, handler) ? (Reflect.getMetadata(BY_RESOURCE, handler) ? 'by-resource' : 'record') : undefined,
          httpCode: Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined,
        });
      }
    }
  }
  return out;
}

/** The problem statuses a route can answer, from what it takes and how it is guarded. */
export function problemStatuses(op: OperationObject, b: RouteBehaviour): number[] {
  const params = (op.parameters ?? []) as ParameterObject[];
  const statuses = new Set<number>();
  if (params.length || op.requestBody) statuses.add(400);
  if (!b.isPublic) statuses.add(401);
  if (!b.isPublic && b.roles?.length) statuses.add(403);
  // Fastify refuses a path parameter over its length limit (414) and Node a request line over its
  // header limit (431, a long query string) before any route runs.
  if (params.some((p) => p.in === 'path')) [404, 414].forEach((s) => statuses.add(s));
  if (params.some((p) => p.in === 'query')) statuses.add(431);
  if (op.requestBody) [413, 415].forEach((s) => statuses.add(s));
  // The key's owner may still be running its first request (409); the same key with another body or caller is 422.
  if (b.idempotent === 'record') statuses.add(409);
  if (b.idempotent) statuses.add(422);
  if (b.rateLimited) statuses.add(429);
  // Any route may find the service's store away (ProblemDetailsFilter).
  statuses.add(503);
  return [...statuses];
}

/**
 * Makes each service's OpenAPI document say what the service does, for every route and without a
 * list of routes: each operation gets the problem+json answers its guards, pipes and interceptors
 * can give (400 when it takes input, 401/403 unless public, 404/414 with a path parameter, 431 with a
 * query, 413/415 with a body, 409/422 with an Idempotency-Key, 429 unless exempt from rate limits,
 * 503 on every route); public routes say `security: []`; each operation names the roles it admits
 * in `x-roles`. What a handler answers on
 * its own (a 409 for a state conflict) it declares with `@ApiProblems(...)`; this fills in the rest.
 * Request bodies refuse unknown properties (`additionalProperties: false`), as the ValidationPipe does.
 */
export function describeBehaviour(app: INestApplication, document: OpenAPIObject): OpenAPIObject {
  const behaviours = routeBehaviours(app);
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[PROBLEM_SCHEMA_NAME] = structuredClone(PROBLEM_SCHEMA) as unknown as SchemaObject;
  const closed = new Set<string>();

  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const b = behaviours.get(op.operationId ?? '');
      if (!b) throw new Error(`describeBehaviour: no route for operation ${op.operationId ?? method}`);
      if (b.isPublic) op.security = [];
      else if (b.roles?.length) (op as unknown as Record<string, unknown>)['x-roles'] = b.roles;
      // @nestjs/swagger writes the default success answer only when a route declares no response at
      // all, so one that declares only its problems would document no success.
      if (!Object.keys(op.responses).some((s) => s.startsWith('2'))) {
        op.responses[b.httpCode ?? (method === 'post' ? 201 : 200)] = { description: '' };
      }
      for (const status of problemStatuses(op, b)) {
        op.responses[status] ??= { description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem' };
      }
      for (const [status, response] of Object.entries(op.responses)) {
        if (!response || Number(status) < 400 || '$ref' in response) continue;
        const r = response as ResponseObject;
        // A problem answer is problem+json whatever a decorator said about its body.
        r.content = { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } };
      }
      const body = op.requestBody && !('$ref' in op.requestBody) ? op.requestBody.content['application/json']?.schema : undefined;
      if (body) closeSchema(document, body, closed);
    }
  }
  return document;
}

/** `additionalProperties: false` on a request body's schema and the object schemas it refers to. */
function closeSchema(document: OpenAPIObject, schema: SchemaObject | ReferenceObject, seen: Set<string>): void {
  if ('$ref' in schema) {
    const name = schema.$ref.split('/').pop() ?? '';
    if (seen.has(name)) return;
    seen.add(name);
    const target = document.components?.schemas?.[name];
    if (target) closeSchema(document, target, seen);
    return;
  }
  if (schema.type === 'object' || schema.properties) {
    if (schema.additionalProperties === undefined) schema.additionalProperties = false;
    for (const p of Object.values(schema.properties ?? {})) closeSchema(document, p, seen);
  }
  if (schema.items) closeSchema(document, schema.items, seen);
  for (const s of [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) closeSchema(document, s, seen);
}
