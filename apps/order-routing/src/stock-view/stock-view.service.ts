import { Inject, Injectable, Logger } from '@nestjs/common';
import { KafkaEventServer } from '@firstmile/messaging';
import { Interval } from '@nestjs/schedule';
import { Subject } from 'rxjs';
import { type ReservationRejectedV1, type StockItem, type StockReservedV1, toGrams, Topics } from '@firstmile/contracts';
import type { StockPosition as RoutingPosition } from '@firstmile/routing';
import { positionKey } from './stock-position.schema';
import { StockHolds } from './stock-holds';
import { StockViewRepository } from './stock-view.repository';

/** How often the in-memory view merges in what was stored lately (what another replica applied). */
const REFRESH_EVERY_MS = 5_000;
/** How long a routing step waits for the view to catch up before the order waits instead (it holds the step). */
const CATCH_UP_MS = 1_000;
/** How long the view is given to catch up, in the background, before the orders that wait for it are decided again. */
const CATCH_UP_LATER_MS = 30_000;
/** A view found current counts as current this long: a burst of "never" decisions checks once. */
const CURRENT_FOR_MS = 1_000;

@Injectable()
export class StockViewService {
  private readonly logger = new Logger(StockViewService.name);

  /** The last check of `current`, shared by the decisions of the next moment. */
  private lastCheck?: { at: number; current: Promise<boolean> };

  constructor(
    private readonly stock: StockViewRepository,
    private readonly holds: StockHolds,
    @Inject(KafkaEventServer) private readonly server: Pick<KafkaEventServer, 'caughtUp'>,
  ) {}

  /** Produce of which more became available (received, released, transferred in), once applied. */
  readonly arrivals = new Subject<string>();

  /** Any stock event: the position's figures after the change it reports. */
  apply(item: StockItem, now = new Date()): Promise<void> {
    return this.stock.apply(item, now);
  }

  /** A stock event that frees or brings stock: applied, then announced to whoever waits for it. */
  async arrived(item: StockItem, now = new Date()): Promise<void> {
    await this.stock.apply(item, now);
    this.arrivals.next(item.produce);
  }

  /** Several arrivals in one write; each produce that got stock is announced once. */
  async arrivedAll(items: readonly StockItem[], now = new Date()): Promise<void> {
    await this.stock.applyAll(items, now);
    for (const produce of new Set(items.map((i) => i.produce))) this.arrivals.next(produce);
  }

  /** The warehouse reserved: its figures now include the reservations, so this process's holds go. */
  async reserved(events: readonly StockReservedV1[], now = new Date()): Promise<void> {
    await this.stock.applyAll(events, now);
    // After the view has the figures: clearing first would count the stock as free for a moment.
    for (const e of events) this.holds.clear(e.reservationId);
  }

  /** The warehouse refused: catch up with the figures it reports (one write), and drop the holds. */
  async rejected(events: readonly ReservationRejectedV1[], now = new Date()): Promise<void> {
    await this.stock.applyLevels(
      events.flatMap((e) => (e.stock ? [{ warehouseId: e.warehouseId, subLotId: e.subLotId, level: e.stock }] : [])),
      now,
    );
    for (const e of events) this.holds.clear(e.reservationId);
  }

  hold(reservationId: string, warehouseId: string, subLotId: string, grams: number): void {
    this.holds.add(reservationId, positionKey(warehouseId, subLotId), grams);
  }

  release(reservationId: string): void {
    this.holds.clear(reservationId);
  }

  /** What the router may promise: the view's figures less what this process is waiting to hear about. */
  async snapshot(produce: string[]): Promise<RoutingPosition[]> {
    const rows = await this.stock.holding([...new Set(produce)]);
    const held = this.holds.byPosition();
    return rows.map((p) => ({
      warehouseId: p.warehouseId,
      warehouseLocation: { lat: p.warehouseLocation.lat, lon: p.warehouseLocation.lon },
      subLotId: p.subLotId,
      produce: p.produce,
      grade: p.grade,
      brand: p.brand ?? null,
      bestBefore: new Date(p.bestBefore),
      onHandGrams: toGrams(p.onHandKg),
      availableGrams: Math.max(0, toGrams(p.availableKg) - (held.get(p._id) ?? 0)),
    }));
  }

  /**
   * Brings the view up to every stock change the warehouse had published when this was called:
   * waits until this service's group (any replica) has handled warehouse.stock up to then, and
   * merges in the stored view, which every replica writes before it commits. False when that
   * takes too long. A "never" judged on stock is decided only on such a view; otherwise the order
   * waits instead.
   */
  current(): Promise<boolean> {
    if (!this.lastCheck || Date.now() - this.lastCheck.at > CURRENT_FOR_MS) this.lastCheck = { at: Date.now(), current: this.catchUp(CATCH_UP_MS) };
    return this.lastCheck.current;
  }

  /** Like `current`, with more time (off any routing step): resolves true once the view has caught up. */
  async currentLater(): Promise<boolean> {
    const current = await this.catchUp(CATCH_UP_LATER_MS);
    // Fresh for the decisions it is waited for, which follow at once.
    if (current) this.lastCheck = { at: Date.now(), current: Promise.resolve(true) };
    return current;
  }

  private async catchUp(timeoutMs: number): Promise<boolean> {
    const caughtUp = await this.server.caughtUp(Topics.warehouseStock, timeoutMs);
    if (caughtUp) await this.stock.refresh();
    return caughtUp;
  }

  @Interval('stock-view-refresh', REFRESH_EVERY_MS)
  async refresh(): Promise<void> {
    await this.stock.refresh().catch((err: unknown) => this.logger.warn(`stock view refresh failed (retried in ${REFRESH_EVERY_MS / 1000} s): ${String(err)}`));
  }

  async warehouseLocation(warehouseId: string): Promise<{ lat: number; lon: number } | undefined> {
    const p = await this.stock.findByWarehouse(warehouseId);
    return p ? { lat: p.warehouseLocation.lat, lon: p.warehouseLocation.lon } : undefined;
  }
}
