import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { PROBLEM_CONTENT_TYPE, problemFor } from './problems/problem';

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A path that exists with another method answers 405 problem+json with `Allow` (RFC 9110 15.5.6),
 * not 404: a client learns it used the wrong method, not that the resource is missing. Fastify has
 * no public lookup by concrete path, so the routes are kept in a second find-my-way router (the one
 * Fastify itself uses) as they are registered; a request that matched no route is looked up there.
 */
export function answerMethodNotAllowed(fastify: FastifyInstance): void {
  const routes = FindMyWay();
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (!routes.hasRoute(method.toUpperCase() as HTTPMethod, route.url)) routes.on(method.toUpperCase() as HTTPMethod, route.url, () => undefined);
    }
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== undefined) return done();
    const path = request.url.split('?')[0];
    const allowed = METHODS.filter((m) => m !== request.method && routes.find(m, path));
    if (!allowed.length) return done();
    void reply
      .status(405)
      .header('allow', allowed.join(', '))
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send({ ...problemFor(405, `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`), instance: path.slice(0, 300) });
  });
}
