import type { INestApplication, Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { KafkaEventServer } from '@firstmile/messaging';
import { limitBodyDepth } from './body-depth';
import { answerMethodNotAllowed } from './method-not-allowed';
import { describeBehaviour } from './openapi/describe-behaviour';
import { carryValidatorConstraints } from './openapi/validator-constraints';
import { type HttpEnv, trustProxyOf } from './env';
import { instrumentHttp, requestIdOf } from './observability';
import { clientErrorProblem, frameworkErrorProblem } from './problems/problem-details.filter';
import { createValidationPipe } from './problems/validation.pipe';

export interface CreateServiceOptions {
  title: string;
  description: string;
  /** Start the Kafka consumers (default true). */
  consume?: boolean;
  /** Routes served outside `/v1` because a standard fixes their paths (e.g. the EPCIS REST binding). */
  unprefixed?: string[];
}

/** Builds a Firstmile service: Fastify HTTP API with problem+json, OpenAPI at /docs, Kafka consumers. */
export async function createService(module: Type<unknown>, options: CreateServiceOptions): Promise<NestFastifyApplication> {
  const bodyLimit = Number(process.env['BODY_LIMIT_BYTES'] ?? 2 * 1024 * 1024);
  const adapter = new FastifyAdapter({
    bodyLimit,
    trustProxy: trustProxyOf(process.env['TRUST_PROXY']),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Errors Fastify and Node answer on their own, before any route: problem+json like the rest.
    frameworkErrors: frameworkErrorProblem,
    clientErrorHandler: clientErrorProblem,
  });
  limitBodyDepth(adapter.getInstance());
  answerMethodNotAllowed(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { bufferLogs: true, abortOnError: false });
  instrumentHttp(app.getHttpAdapter().getInstance());
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.setGlobalPrefix('v1', { exclude: ['health/live', 'health/ready', 'metrics', ...(options.unprefixed ?? [])] });
  app.useGlobalPipes(createValidationPipe());

  carryValidatorConstraints(app);
  const document = describeBehaviour(app, SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addSecurityRequirements('bearer')
      .build(),
  ));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });

  if (options.consume ?? true) {
    app.connectMicroservice({ strategy: app.get(KafkaEventServer) });
    await app.startAllMicroservices();
  }
  return app;
}

/** Listens on the configured host and port. */
export async function listen(app: INestApplication, port: number): Promise<void> {
  const host = app.get(ConfigService<HttpEnv, true>).get('HOST', { infer: true });
  await app.listen(port, host);
}
