import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Observable, throwError } from 'rxjs';
import { PROBLEM_CONTENT_TYPE, problemFor, ProblemException, type ProblemDocument } from './problem';

/**
 * Every HTTP error leaves as RFC 9457 problem+json, including the ones Fastify raises before a
 * route runs (body too large, malformed JSON). Unexpected errors are logged with their stack and
 * answer a bare 500: nothing internal leaks into a response.
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
  const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
    return problemFor(fastifyError.statusCode, fastifyError.message);
  }
  logger?.error(exception instanceof Error ? exception.stack : String(exception));
  return problemFor(500, 'The server could not complete the request');
}
