import { Catch, type INestApplication, type RpcExceptionFilter, type Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { type Observable, throwError } from 'rxjs';
import { KafkaEventServer } from '@firstmile/messaging';
import type { HttpEnv } from './env';
import { PROBLEM_CONTENT_TYPE } from './problems/problem';
import { ProblemDetailsFilter, toProblem } from './problems/problem-details.filter';
import { createValidationPipe } from './problems/validation.pipe';

/** Handler errors must reach the Kafka server as they are, so retries and dead letters carry them. */
@Catch()
class RethrowRpcFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

export interface CreateServiceOptions {
  title: string;
  description: string;
  /** Start the Kafka consumers (default true). */
  consume?: boolean;
}

/** Builds a Firstmile service: Fastify HTTP API with problem+json, OpenAPI at /docs, Kafka consumers. */
export async function createService(module: Type<unknown>, options: CreateServiceOptions): Promise<NestFastifyApplication> {
  const bodyLimit = Number(process.env['BODY_LIMIT_BYTES'] ?? 2 * 1024 * 1024);
  const adapter = new FastifyAdapter({ bodyLimit, trustProxy: true, onProtoPoisoning: 'error', onConstructorPoisoning: 'error' });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.setGlobalPrefix('v1', { exclude: ['health/live', 'health/ready', 'metrics'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());

  // Errors Fastify raises before Nest sees the request (body too large, malformed JSON, wrong content type).
  const fastify = app.getHttpAdapter().getInstance();
  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = { ...toProblem(error), instance: request.url.split('?')[0] };
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addSecurityRequirements('bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });

  if (options.consume ?? true) {
    const microservice = app.connectMicroservice({ strategy: app.get(KafkaEventServer) });
    microservice.useGlobalFilters(new RethrowRpcFilter());
    await app.startAllMicroservices();
  }
  return app;
}

/** Listens on the configured host and port. */
export async function listen(app: INestApplication, port: number): Promise<void> {
  const host = app.get(ConfigService<HttpEnv, true>).get('HOST', { infer: true });
  await app.listen(port, host);
}
