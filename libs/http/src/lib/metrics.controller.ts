import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { register } from 'prom-client';
import { gaugeCollection } from '@firstmile/telemetry';
import { Public } from './auth/auth.decorators';
import type { HttpEnv } from './env';
import { clusterMetrics } from './replicas';
import { SkipRateLimits } from './rate-limit.guard';

/**
 * Prometheus scrape endpoint, open like health: it carries no business data; scrapes are not
 * rate-limited. So the gauges read from elsewhere (outbox backlogs, consumer lag) are read at most
 * once per METRICS_COLLECT_INTERVAL_MS, whoever scrapes (see `gauge` in @firstmile/telemetry).
 * With REPLICAS > 1 whichever worker is asked answers for all of them (see clusterMetrics): one
 * scrape of the port is the whole service, as it is one target to Prometheus.
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
    let all: string | undefined;
    try {
      all = await clusterMetrics();
    } catch (err) {
      // A part of the workers is no answer: a scrape that fails is better than one that undercounts.
      throw new ServiceUnavailableException(`metrics of every replica: ${(err as Error).message}`);
    }
    if (all === undefined) return super.index(response);
    response.header('Content-Type', register.contentType);
    return all;
  }
}
