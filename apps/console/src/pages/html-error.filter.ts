import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem } from '@firstmile/http';
import { SignInRequired } from '../views/session';
import { escapeHtml } from './html';

const wantsJson = (req: FastifyRequest): boolean => !/text\/html/.test(req.headers.accept ?? '') && /json/.test(req.headers.accept ?? '');

/**
 * People get an HTML page for an error (a 404 for a mistyped address, a 500 that leaks nothing);
 * machines asking for JSON (health probes, scripts) get the problem+json every service answers.
 */
@Catch()
export class HtmlErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof SignInRequired && !wantsJson(request)) {
      void reply.redirect('/signin', 303);
      return;
    }
    const problem = { ...toProblem(exception, exception instanceof HttpException ? undefined : this.logger), instance: request.url.split('?')[0] };
    if (wantsJson(request)) {
      void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
      return;
    }
    const title = problem.status === 404 ? '页面不存在 · Page not found' : `${problem.status} · ${problem.title}`;
    void reply
      .status(problem.status)
      .header('content-type', 'text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>` +
          `<link rel="stylesheet" href="/assets/console.css"></head><body><main class="narrow"><h1>${escapeHtml(title)}</h1>` +
          `<p>${escapeHtml(problem.status === 404 ? '这个地址没有页面。 There is no page at this address.' : (problem.detail ?? ''))}</p><p><a href="/">Firstmile</a></p></main></body></html>`,
      );
  }
}
