import { Module, RequestMethod } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import { validateEnv } from '@firstmile/config';
import { type HttpEnv } from '@firstmile/http';
import { currentTraceIds } from '@firstmile/telemetry';
import { AssetsController } from './assets/assets.controller';
import { ConsoleEnv } from './console.env';
import { HealthController } from './health/health.controller';
import { HtmlErrorFilter } from './pages/html-error.filter';
import { ProvenanceModule } from './provenance/provenance.module';
import { ViewsModule } from './views/views.module';

/**
 * The console: the public provenance pages and the signed-in views. It owns no data, no database
 * and no broker connection (unlike ServiceModule's services): it reads and writes only through the
 * services' public APIs.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, cache: true, validate: validateEnv(ConsoleEnv) }),
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<HttpEnv, true>) => ({
        pinoHttp: {
          level: config.get('LOG_LEVEL', { infer: true }),
          base: { service: 'console' },
          mixin: () => currentTraceIds() ?? {},
          // Method, URL and status only: never headers (the session cookie holds a token) or bodies.
          serializers: {
            req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: req.url }),
            res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
          },
          redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.authorization', '*.cookie'],
          autoLogging: { ignore: (req) => /^\/(health|metrics|assets)/.test(req.url ?? '') },
        },
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      }),
    }),
    TerminusModule.forRoot({ logger: false }),
    PrometheusModule.register({ path: '/metrics', defaultLabels: { service: 'console' } }),
    ProvenanceModule,
    ViewsModule,
  ],
  controllers: [HealthController, AssetsController],
  providers: [{ provide: APP_FILTER, useClass: HtmlErrorFilter }],
})
export class AppModule {}
