import { Controller, Get, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { gaugeCollection } from '@firstmile/telemetry';
import { Public } from './auth/auth.decorators';
import type { HttpEnv } from './env';
import { SkipRateLimits } from './rate-limit.guard';

/**
 * Prometheus scrape endpoint, open like health: it carries no business data; scrapes are not
 * rate-limited. So the gauges read from elsewhere (outbox backlogs, consumer lag) are read at most
 * once per METRICS_COLLECT_INTERVAL_MS, whoever scrapes (see `gauge` in @firstmile/telemetry).
 */
@ApiExcludeController()
@Public()
@SkipRateLimits()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(config: ConfigService<HttpEnv, true>) {
    super();
    gaugeCollection.minIntervalMs = config.get('METRICS_COLLECT_INTERVAL_MS', { infer: true });
  }

  @Get()
  override async index(@Res({ passthrough: true }) response: FastifyReply) {
    return super.index(response);
  }
}
