import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { instrumentHttp, requestIdOf, trustProxyOf } from '@firstmile/http';
import { AppModule } from './app.module';

/** The console on Fastify, like the services: request ids, route-named spans and duration metrics. */
export async function createApp(): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // Forms only: a lot, a tracking event, an order. JSON bodies never reach the console.
    bodyLimit: 64 * 1024,
    trustProxy: trustProxyOf(process.env['TRUST_PROXY']),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: false,
    genReqId: requestIdOf,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { bufferLogs: true, abortOnError: false });
  instrumentHttp(app.getHttpAdapter().getInstance());
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  return app;
}
