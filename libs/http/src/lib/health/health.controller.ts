import { Controller, Get, Inject, type OnApplicationShutdown } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ConfigService } from '@nestjs/config';
import { HealthCheck, type HealthCheckResult, HealthCheckService, HealthIndicatorService, MongooseHealthIndicator } from '@nestjs/terminus';
import type { Admin, Kafka } from 'kafkajs';
import { KAFKA } from '@firstmile/messaging';
import { Public } from '../auth/auth.decorators';
import type { HttpEnv } from '../env';
import { replicaState } from '../replicas';
import { SkipRateLimits } from '../rate-limit.guard';

@ApiTags('health')
@Public()
// Probes come from one address (the kubelet, a load balancer) as often as they like; rate-limiting
// them by address would take a healthy instance out of service.
@SkipRateLimits()
@Controller('health')
export class HealthController implements OnApplicationShutdown {
  private admin?: Admin;
  /** The last readiness answer (up or down) and when it was asked for. */
  private lastReady?: { at: number; answer: Promise<HealthCheckResult> };
  private readonly readyCacheMs: number;

  constructor(
    private readonly health: HealthCheckService,
    private readonly mongo: MongooseHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(KAFKA) private readonly kafka: Kafka,
    config: ConfigService<HttpEnv, true>,
  ) {
    this.readyCacheMs = config.get('READY_CACHE_MS', { infer: true });
  }

  /** The process is up and its event loop answers. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * Ready to take work: its MongoDB and its Kafka broker both answer. The route is public and not
   * rate-limited, so one answer (up or down) serves every probe for READY_CACHE_MS, and probes that
   * come while it is being found out wait for it: a flood of probes is one ping of each.
   */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    const now = Date.now();
    if (this.lastReady && now - this.lastReady.at < this.readyCacheMs) return this.lastReady.answer;
    const answer = this.health.check([
      () => this.mongo.pingCheck('mongodb', { timeout: 2000 }),
      () => this.kafkaCheck(),
      () => this.replicasCheck(),
    ]);
    this.lastReady = { at: now, answer };
    // Kept whichever way it settles (a down answer is an answer); the probe that asked still gets it.
    answer.catch(() => undefined);
    return answer;
  }

  /**
   * With REPLICAS > 1: how many of the workers serve the port. Up while this one can answer (it is
   * ready, and the primary routes connections only to live workers), so one dead worker does not take
   * the whole port out of a load balancer while the primary starts it again; `listening` below
   * `wanted` says a replica is missing (tools/dev/stack.mjs waits for all of them).
   */
  private async replicasCheck() {
    const indicator = this.indicators.check('replicas');
    try {
      const state = await replicaState();
      return state ? indicator.up({ ...state }) : indicator.up({ wanted: 1, listening: 1, restarts: 0 });
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }

  /** The broker answers for its cluster within 2 s, connecting included (kafkajs retries a connect for a minute or more). */
  private async kafkaCheck() {
    const indicator = this.indicators.check('kafka');
    let timer: NodeJS.Timeout | undefined;
    try {
      const cluster = await Promise.race([
        (async () => {
          if (!this.admin) {
            this.admin = this.kafka.admin();
            await this.admin.connect();
          }
          return this.admin.describeCluster();
        })(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), 2000))),
      ]);
      return indicator.up({ brokers: cluster.brokers.length });
    } catch (err) {
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
      return indicator.down({ message: (err as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
