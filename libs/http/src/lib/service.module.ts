import { type DynamicModule, Module, RequestMethod, type Type } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { validateEnv } from '@firstmile/config';
import { MessagingModule } from '@firstmile/messaging';
import { MongoModule } from '@firstmile/persistence';
import { currentTraceIds } from '@firstmile/telemetry';
import type { HttpEnv } from './env';
import { HealthController } from './health/health.controller';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyRecord, IdempotencyRecordSchema } from './idempotency/idempotency-record.schema';
import { MetricsController } from './metrics.controller';
import { TelemetryShutdown } from './observability';
import { ProblemDetailsFilter } from './problems/problem-details.filter';
import { rateLimits } from './rate-limit.guard';
import { replicaNumber } from './replicas';
import { REQUEST_GUARDS, TOKEN_VERIFIER } from './request-guards';

export interface ServiceModuleOptions {
  /** e.g. `harvest-intake`: names the consumer group, `ce_source` and logs. */
  service: string;
  /** Database name suffix: `firstmile_<database>`. */
  database: string;
  /** The app's env class, composed from the shared fragments; validated at start-up. */
  env: Type<object>;
}

/**
 * Everything a Firstmile service has in common: validated config, JSON logs, its own MongoDB
 * database, Kafka, auth, rate limits, idempotency keys, health and metrics.
 */
@Module({})
export class ServiceModule {
  static forRoot({ service, database, env }: ServiceModuleOptions): DynamicModule {
    return {
      module: ServiceModule,
      global: true,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, cache: true, validate: validateEnv(env) }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<HttpEnv, true>) => ({
            pinoHttp: {
              level: config.get('LOG_LEVEL', { infer: true }),
              // Which worker wrote the line, when REPLICAS > 1 runs several on one port.
              base: { service, ...(replicaNumber() ? { replica: replicaNumber() } : {}) },
              // Fastify's request id (requestIdOf) normally arrives first; this covers anything else.
              genReqId: (req) => (req.headers['x-request-id'] as string | undefined) ?? randomUUID(),
              // The active span's ids on every line: a log line leads to its trace and back.
              mixin: () => currentTraceIds() ?? {},
              // No personal data: request and response are logged as method, URL and status only —
              // no headers (tokens, cookies), no client address, never a body.
              serializers: {
                req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: req.url }),
                res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
              },
              // Defence in depth, should a header object ever reach a log line.
              redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.authorization', '*.cookie'],
              autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
            },
            forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          }),
        }),
        MongoModule.forRoot({ database }),
        MongooseModule.forFeature([{ name: IdempotencyRecord.name, schema: IdempotencyRecordSchema }]),
        MessagingModule.forRoot({ service }),
        ThrottlerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<HttpEnv, true>) => rateLimits(config.get('RATE_LIMIT_PER_MINUTE', { infer: true })),
        }),
        ScheduleModule.forRoot(),
        TerminusModule.forRoot({ logger: false }),
        PrometheusModule.register({ path: '/metrics', controller: MetricsController, defaultLabels: { service } }),
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        TOKEN_VERIFIER,
        ...REQUEST_GUARDS,
        IdempotencyInterceptor,
        TelemetryShutdown,
      ],
      exports: [MongooseModule, IdempotencyInterceptor],
    };
  }
}
