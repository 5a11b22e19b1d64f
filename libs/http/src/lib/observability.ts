import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { currentTraceResponse, histogram, shutdownTelemetry } from '@firstmile/telemetry';

const httpDuration = () =>
  histogram(
    'http_request_duration_seconds',
    'HTTP requests served, by method, route template and status code.',
    ['method', 'route', 'status_code'] as const,
  );

/** A caller's request id is kept only when it is a plain token: it ends up in every log line. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's `x-request-id` when it is a plain token, else a new UUID. It is
 * the `req.id` of every log line of the request (pino-http reuses it) and is answered back.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

const isProbe = (route: string | undefined) => route !== undefined && /^\/(health|metrics)(\/|$)/.test(route);

/**
 * Per-request observability on the Fastify instance, before any route runs:
 * - names the HTTP server span after the route template (`POST /v1/lots`, not the bare method),
 * - answers `traceresponse` (the trace of this request) and `x-request-id` (see requestIdOf),
 * - observes `http_request_duration_seconds` by route template and status (never by raw URL,
 *   whose ids would make one series per lot).
 */
export function instrumentHttp(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', req.id);
    const route = req.routeOptions.url;
    const span = trace.getActiveSpan();
    if (span && route) {
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'firstmile.request_id': req.id });
    }
    const traceresponse = currentTraceResponse();
    if (traceresponse) reply.header('traceresponse', traceresponse);
    done();
  });

  fastify.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = req.routeOptions.url;
    if (!isProbe(route)) {
      httpDuration().observe(
        { method: req.method, route: route ?? 'unmatched', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    }
    done();
  });
}

/** Exports the spans still buffered when the service shuts down gracefully. */
@Injectable()
export class TelemetryShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTelemetry();
  }
}
