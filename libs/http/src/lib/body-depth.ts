import type { FastifyInstance } from 'fastify';
import { problemFor, ProblemException } from './problems/problem';

/** Deeper than any body of ours. */
export const MAX_BODY_DEPTH = 64;

/** Whether a parsed JSON value nests objects or arrays deeper than `limit`; iterative, so any depth is safe to ask. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [v, depth] = pending.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * Refuses bodies nested deeper than MAX_BODY_DEPTH before anything walks them recursively: the
 * ValidationPipe (class-transformer, its prototype-key stripping) and the idempotency hash overflow
 * the stack on a body nested a few thousand deep, which a 2 MB body easily is.
 */
export function limitBodyDepth(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (request) => {
    if (nestedDeeperThan(request.body, MAX_BODY_DEPTH)) {
      throw new ProblemException(problemFor(400, `the request body is nested more than ${MAX_BODY_DEPTH} deep`));
    }
  });
}
