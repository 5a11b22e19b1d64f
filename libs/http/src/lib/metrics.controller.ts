import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from './auth/auth.decorators';
import { SkipRateLimits } from './rate-limit.guard';

/** Prometheus scrape endpoint, open like health: it carries no business data; scrapes are not rate-limited. */
@ApiExcludeController()
@Public()
@SkipRateLimits()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  override async index(@Res({ passthrough: true }) response: FastifyReply) {
    return super.index(response);
  }
}
