import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { WarehouseEnv } from '../warehouse.env';
import { StockService } from './stock.service';

const EXPIRY = 'reservation-expiry';
const WRITE_OFF = 'expiry-write-off';
const SETTLE = 'unsettled-positions';

/**
 * The scheduled jobs: release reservations nobody confirmed in time, write off stock past its
 * best-before, and write what changes cut short by a crash still owe. Registered through @nestjs/schedule's registry because their periods are
 * configuration. Every replica may run them: each change is a conditional write, so two sweeps
 * racing on one position change it once.
 */
@Injectable()
export class StockSweeps implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StockSweeps.name);
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly stock: StockService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: ConfigService<WarehouseEnv, true>,
  ) {}

  onApplicationBootstrap(): void {
    this.every(EXPIRY, this.config.get('RESERVATION_SWEEP_MS', { infer: true }), () => this.stock.expireDue());
    this.every(WRITE_OFF, this.config.get('WRITE_OFF_SWEEP_MS', { infer: true }), () => this.stock.writeOffExpired());
    this.every(SETTLE, this.config.get('SETTLE_SWEEP_MS', { infer: true }), () => this.stock.settleUnsettled());
  }

  async onApplicationShutdown(): Promise<void> {
    for (const name of [EXPIRY, WRITE_OFF, SETTLE]) {
      if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
    }
    await Promise.allSettled(this.running.values());
  }

  private every(name: string, ms: number, job: () => Promise<number>): void {
    const tick = () => {
      // A slow pass is not overlapped by the next tick.
      if (this.running.has(name)) return;
      const pass = job()
        .then((n) => n > 0 && this.logger.log(`${name}: ${n} position(s) changed`))
        .catch((err: unknown) => this.logger.warn(`${name} failed: ${String(err)}`))
        .finally(() => this.running.delete(name));
      this.running.set(name, pass);
    };
    this.scheduler.addInterval(name, setInterval(tick, ms));
  }
}
