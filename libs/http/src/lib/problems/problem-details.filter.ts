import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { type Observable, throwError } from 'rxjs';
import { isTransient } from '@firstmile/messaging';
import { PROBLEM_CONTENT_TYPE, problemFor, ProblemException, type ProblemDocument } from './problem';

/**
 * How long a client is asked to wait (`Retry-After`, seconds) before it repeats a request the
 * service could not serve because its store did not answer.
 */
export const STORE_RETRY_AFTER_S = 5;
/** The store's absence is said at most this often (with how many requests it refused meanwhile). */
const STORE_LOG_EVERY_MS = 10_000;
const storeAway = { saidAt: 0, refused: 0 };

/**
 * Every HTTP error leaves as RFC 9457 problem+json, including the ones Fastify raises before a
 * route runs (body too large, malformed JSON). Unexpected errors are logged with their stack and
 * answer a bare 500: nothing internal leaks into a response. A store that does not answer (no
 * server, a refused or lost connection) is not unexpected: 503 with `Retry-After`, said in the log
 * once in a while rather than with a stack per request (a client repeating every request of a
 * live-stream sale during a 90 s outage wrote thousands of them).
 *
 * Errors of Kafka handlers pass through untouched, so the consumer can retry them and the
 * dead-letter topic records what really failed.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problems');

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() !== 'http') return throwError(() => exception);
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = { ...toProblem(exception, this.logger), instance: request.url.split('?')[0] };
    if (problem.status === 401) void reply.header('www-authenticate', 'Bearer');
    if (problem.status === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(STORE_RETRY_AFTER_S));
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }
}

export function toProblem(exception: unknown, logger?: Logger): ProblemDocument {
  if (exception instanceof ProblemException) return exception.problem;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message =
      typeof body === 'string'
        ? body
        : Array.isArray((body as { message?: unknown }).message)
          ? ((body as { message: string[] }).message.join('; '))
          : ((body as { message?: string }).message ?? exception.message);
    return problemFor(status, message);
  }
  if (isTransient(exception)) {
    storeUnavailable(exception, logger);
    return problemFor(503, 'the service\'s database did not answer; repeat the request after the Retry-After delay (a create with the same Idempotency-Key)');
  }
  const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
    return problemFor(fastifyError.statusCode, fastifyError.message);
  }
  logger?.error(exception instanceof Error ? exception.stack : String(exception));
  return problemFor(500, 'The server could not complete the request');
}

function storeUnavailable(exception: unknown, logger: Logger | undefined): void {
  storeAway.refused++;
  const now = Date.now();
  if (!logger || now - storeAway.saidAt < STORE_LOG_EVERY_MS) return;
  const what = exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
  logger.warn(`the store did not answer (${what.slice(0, 300)}): ${storeAway.refused} request(s) answered 503 with Retry-After since this was last said`);
  storeAway.saidAt = now;
  storeAway.refused = 0;
}

/**
 * Fastify answers a few errors itself, before any route (so before Nest and the filter above): a
 * malformed percent-encoding (400) and a path parameter over its length limit (414). As Fastify's
 * `frameworkErrors` option, this makes them problem+json too.
 */
export function frameworkErrorProblem(error: { statusCode?: number; message: string }, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  const problem = { ...problemFor(status, status >= 500 ? 'The server could not complete the request' : error.message.slice(0, 300)), instance: request.url.split('?')[0].slice(0, 300) };
  void reply.status(status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them — headers (the request line
 * included) over the size limit (431), a malformed request (400), a client too slow (408) — and
 * Fastify's default answer is plain JSON. As Fastify's `clientErrorHandler` option, this answers
 * problem+json instead, then closes the connection as Node does.
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const problem = problemFor(status, status === 431 ? 'the request line and headers exceed the size limit' : 'the request could not be read');
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
