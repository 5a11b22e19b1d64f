import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventPublisher } from '@firstmile/messaging';
import { outboxSignal } from '@firstmile/persistence';
import { StockRepository } from './stock.repository';

const BATCH = 200;
const POLL_MS = Number(process.env['OUTBOX_POLL_MS'] ?? 1000);

/**
 * The outbox relay for stock positions. It does what the platform's OutboxRelay does (publish,
 * then `$pullAll` exactly what was published), but removes the published events under the
 * position's in-process lock: on FerretDB 1.x an unlocked pull racing a reservation write loses
 * one of the two (resurrected events, or a lost reservation). Positions are the only documents
 * here written by many hands at once; dispatches and unknown-stock answers keep the platform relay.
 */
@Injectable()
export class StockOutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StockOutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly onSignal = () => this.wake?.();

  constructor(
    private readonly repo: StockRepository,
    private readonly publisher: EventPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    outboxSignal.on('staged', this.onSignal);
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    outboxSignal.off('staged', this.onSignal);
    this.wake?.();
    await this.loop;
  }

  /** One pass; returns how many events left. */
  async drain(): Promise<number> {
    const docs = await this.repo.pendingOutbox(BATCH);
    const events = docs.flatMap((d) => d.outbox);
    if (events.length === 0) return 0;
    await this.publisher.publish(events);
    await Promise.all(docs.map((d) => this.repo.pullOutbox(d._id, d.outbox)));
    return events.length;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let more = false;
      try {
        more = (await this.drain()) > 0;
        failures = 0;
      } catch (err) {
        failures++;
        this.logger.warn(`stock outbox relay pass failed (${failures}): ${String(err)}`);
      }
      if (!more && this.running) await this.sleep(failures ? Math.min(5000, 200 * 2 ** failures) : POLL_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
