import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { bufferTime, filter, type Subscription } from 'rxjs';
import { amountFen, OrderBackorderedV1, OrderRejectedV1, type ReservationLapsedV1, type ReservationRejectedV1, ReserveStockV1, toGrams, toKg } from '@firstmile/contracts';
import { type Command, withinTrace } from '@firstmile/messaging';
import { newId } from '@firstmile/persistence';
import { routeOrder } from '@firstmile/routing';
import type { PriceBook } from '../../prices/price-book';
import { PricesService } from '../../prices/prices.service';
import { RoutingSettings } from '../../routing.settings';
import { StockViewService } from '../../stock-view/stock-view.service';
import type { AllocationDoc } from '../order.schema';
import { endAttempt, onLapsed, sagaEvent } from '../order-saga';
import { type OrderChange, type OrderRecord, OrdersRepository } from '../orders.repository';
import { Batches, Serial } from './serial';

/** Stock arrivals are gathered this long, then one sweep serves every produce that arrived. */
const ARRIVAL_WINDOW_MS = 500;
/** Backordered orders looked at per sweep, longest waiting first. */
const SWEEP_BATCH = 200;
/** A sweep over every produce also runs this often: it catches arrivals a restart missed. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Routing: an order's first attempt (from its own order.placed), the next one after a refusal, and
 * backordered orders again when stock arrives. Routing steps run one at a time in this process (a
 * burst is absorbed by the `orders` topic, not by racing for the same sub-lots; a throughput
 * choice: each write is conditional on the order's revision, so replicas stay exact); first
 * attempts that arrive together are decided one after another in one step, their reads and writes
 * made at once.
 */
@Injectable()
export class RouteOrder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RouteOrder.name);
  private readonly routing = new Serial();
  private readonly firstRoutes = new Batches<string>(this.routing, (ids) => this.routeTogether(ids));
  private readonly sweeps = new Serial();
  private arrivals?: Subscription;

  constructor(
    private readonly orders: OrdersRepository,
    private readonly stock: StockViewService,
    private readonly settings: RoutingSettings,
    private readonly prices: PricesService,
  ) {}

  onModuleInit(): void {
    this.arrivals = this.stock.arrivals
      .pipe(
        bufferTime(ARRIVAL_WINDOW_MS),
        filter((produce) => produce.length > 0),
      )
      .subscribe((produce) => void this.sweepBackorders([...new Set(produce)]).catch((err: unknown) => this.sweepFailed(err)));
  }

  onModuleDestroy(): void {
    this.arrivals?.unsubscribe();
  }

  /**
   * orders: the order's own order.placed → first routing attempt. Orders that arrive while a routing
   * step runs are routed together in the next one (see `routeTogether`).
   */
  route(orderId: string): Promise<void> {
    return this.firstRoutes.add(orderId);
  }

  /**
   * First attempts of several orders as one routing step: the orders are read at once, decided one
   * after another on the stock view (each decision's holds count for the next), and written at once,
   * each conditional on the revision it was decided on. One that changed in between is routed again
   * on its own. Returns each order's failure, if any. Runs as a step of `routing`.
   */
  private async routeTogether(ids: string[], now = new Date()): Promise<Map<string, unknown>> {
    const failed = new Map<string, unknown>();
    const orders = await this.orders.findMany(ids);
    const decided: Array<{ order: OrderRecord; change: OrderChange; holds: AllocationDoc[] }> = [];
    // The batch's prices in one read (of their versions only, when this process has them already).
    const book = await this.prices.book(orders.flatMap((o) => o.lines.map((l) => l.produce)));
    for (const o of orders) {
      if (o.status !== 'received' || o.attempt > 0) continue;
      const next = await this.nextAttempt(o, now, undefined, book);
      this.hold(next.allocations);
      decided.push({ order: o, change: next.change, holds: next.allocations });
    }
    let written: boolean[];
    try {
      written = await this.orders.writeAll(decided);
    } catch (err) {
      for (const d of decided) for (const a of d.holds) this.stock.release(a.reservationId);
      throw err;
    }
    for (const [i, d] of decided.entries()) {
      if (written[i]) continue;
      for (const a of d.holds) this.stock.release(a.reservationId);
      await this.routeFirst(d.order._id, now).catch((err: unknown) => failed.set(d.order._id, err));
    }
    return failed;
  }

  /** One order's first attempt, read and written until no concurrent write intervenes. */
  private async routeFirst(orderId: string, now: Date): Promise<void> {
    let holds: AllocationDoc[] = [];
    const changed = await this.orders.transition(orderId, async (o) => {
      if (o.status !== 'received' || o.attempt > 0) return null;
      const next = await this.nextAttempt(o, now);
      holds = next.allocations;
      return next.change;
    });
    if (changed) this.hold(holds);
  }

  /**
   * warehouse.stock: reservations the warehouse refused. The view takes the figures they report (one
   * write); each refusal ends its order's attempt (the attempt's others are released) and routes it
   * again. The batch's orders are read at once, decided in turn (each decision's holds count for the
   * next; an order refused twice in the batch takes the second refusal on the attempt the first
   * left) and written in one bulk write. Returns the answers that failed. Runs as a step of `routing`.
   */
  async rejectedAll(batch: ReadonlyArray<Command<ReservationRejectedV1>>, now = new Date()): Promise<Map<Command<ReservationRejectedV1>, unknown>> {
    await this.stock.rejected(batch.map((b) => b.command));
    return this.routing.run(() =>
      this.decideRouting(batch, async (o, answer) => {
        const e = answer.command;
        const state = o.reservations[e.reservationId];
        if (state === 'abandoned') return { change: { set: { [`reservations.${e.reservationId}`]: 'rejected' }, events: [] } };
        const current = o.allocations.some((a) => a.reservationId === e.reservationId);
        if (state !== 'pending' || !current || o.status !== 'received') return null;
        const ended = endAttempt(o, `reservation ${e.reservationId} refused: ${e.reason}`, now);
        ended.set[`reservations.${e.reservationId}`] = 'rejected';
        const next = await this.nextAttempt(o, now, e.reason);
        return { change: { set: { ...ended.set, ...next.change.set }, events: [...ended.events, ...next.change.events] }, holds: next.allocations };
      }),
    );
  }

  /**
   * warehouse.stock: reservations the warehouse no longer held when their orders confirmed them (they
   * lapsed first). A routed order's attempt ends — what it still holds is released, its shipments
   * are dropped — and it is routed again on the stock view, with a fresh attempt budget (the stock
   * it held is gone, as for a backordered order when stock arrives): `received` with new
   * reservations, or `backordered`, or `rejected`. The batch's orders are read at once, decided in
   * turn (each decision's holds count for the next) and written in one bulk write. Returns the
   * answers that failed. Runs as a step of `routing`.
   */
  lapsedAll(batch: ReadonlyArray<Command<ReservationLapsedV1>>, now = new Date()): Promise<Map<Command<ReservationLapsedV1>, unknown>> {
    return this.routing.run(() =>
      this.decideRouting(batch, async (o, answer) => {
        const e = answer.command;
        const decision = onLapsed(o, e.reservationId, now);
        if (decision === 'stuck') {
          // Part of the order is on the road: it cannot be routed again as a whole. Left for ops.
          this.logger.error(`order ${o._id}: reservation ${e.reservationId} lapsed (${e.reason}) after a shipment of the order left; it stays routed without that stock`);
          return { change: { set: { [`reservations.${e.reservationId}`]: 'lapsed' }, events: [] } };
        }
        if (decision !== 'reroute') return decision && { change: decision };
        const ended = endAttempt(o, `reservation ${e.reservationId} lapsed before it was confirmed`, now);
        // The lapsed one is not the warehouse's to release any more.
        ended.events = ended.events.filter((c) => (c.data as { reservationId?: string }).reservationId !== e.reservationId);
        ended.set[`reservations.${e.reservationId}`] = 'lapsed';
        const next = await this.nextAttempt({ ...o, attempt: 0 }, now, `reservation ${e.reservationId} lapsed`);
        const set = { ...ended.set, ...next.change.set, shipments: [], ...(next.allocations.length > 0 ? { status: 'received' } : {}) };
        return { change: { set, events: [...ended.events, ...next.change.events] }, holds: next.allocations };
      }),
    );
  }

  /**
   * Answers of a batch that may route their orders again, decided with `decideAll`, each in its own
   * delivery's trace: the stock a decision holds counts for the decisions after it, and what a
   * decision held that was not written (it lost a race and was decided again, or failed) is
   * released. Runs inside a step of `routing`.
   */
  private async decideRouting<T extends Command<{ orderId: string }>>(
    batch: readonly T[],
    decide: (o: OrderRecord, answer: T) => Promise<{ change: OrderChange; holds?: AllocationDoc[] } | null>,
  ): Promise<Map<T, unknown>> {
    const holds = new Map<T, AllocationDoc[]>();
    const decideHolding = (o: OrderRecord, answer: T): Promise<OrderChange | null> =>
      withinTrace(answer, async () => {
        // Decided again (its order changed in between): what it held on the earlier decision goes.
        for (const a of holds.get(answer) ?? []) this.stock.release(a.reservationId);
        holds.delete(answer);
        const decided = await decide(o, answer);
        if (decided?.holds) {
          this.hold(decided.holds);
          holds.set(answer, decided.holds);
        }
        return decided?.change ?? null;
      });
    try {
      const { failed, changed } = await this.orders.decideAll(batch, (b) => b.command.orderId, decideHolding);
      for (const [answer, allocations] of holds) if (!changed.has(answer)) for (const a of allocations) this.stock.release(a.reservationId);
      return failed;
    } catch (err) {
      for (const allocations of holds.values()) for (const a of allocations) this.stock.release(a.reservationId);
      throw err;
    }
  }

  /**
   * Stock arrived or was freed: backordered orders of that produce (all produce when none is given),
   * longest waiting first, are routed again if the engine now finds a plan for them. An order that
   * still cannot be served is left as it is, without a new event. A re-routed order is `received`
   * again until its reservations are answered. The waiting orders are read from the store (an index
   * range), so an arrival heard by one replica serves the orders another one backordered.
   */
  sweepBackorders(produce?: readonly string[], now = new Date()): Promise<number> {
    return this.sweeps.run(async () => {
      let rerouted = 0;
      for (const id of await this.orders.backordered(SWEEP_BATCH, produce)) {
        if (await this.reroute(id, now)) rerouted++;
      }
      if (rerouted > 0) this.logger.log(`${rerouted} backordered order(s) routed again${produce ? ` (${produce.join(', ')} arrived)` : ''}`);
      return rerouted;
    });
  }

  /** Catches what a restart between a stock arrival and its sweep would otherwise leave waiting. */
  @Interval('backorder-sweep', SWEEP_EVERY_MS)
  async sweepAllBackorders(): Promise<void> {
    await this.sweepBackorders().catch((err: unknown) => this.sweepFailed(err));
  }

  private reroute(orderId: string, now: Date): Promise<boolean> {
    return this.routing.run(async () => {
      let holds: AllocationDoc[] = [];
      const changed = await this.orders.transition(orderId, async (o) => {
        if (o.status !== 'backordered') return null;
        // A fresh attempt budget: the stock this order waited for is new.
        const next = await this.nextAttempt({ ...o, attempt: 0 }, now);
        if (next.allocations.length === 0 && next.change.set['status'] === 'backordered') return null;
        holds = next.allocations;
        return next.allocations.length > 0 ? { set: { ...next.change.set, status: 'received' }, events: next.change.events } : next.change;
      });
      if (changed) this.hold(holds);
      return changed;
    });
  }

  /** Once the view has caught up (off this routing step), the backorders of this produce are decided again. */
  private decideAgainWhenCurrent(produce: string[]): void {
    void this.stock
      .currentLater()
      .then((current) => (current ? this.sweepBackorders([...new Set(produce)]) : 0))
      .catch((err: unknown) => this.sweepFailed(err));
  }

  private sweepFailed(err: unknown): void {
    this.logger.error(`backorder sweep failed (the next arrival or the periodic sweep retries): ${err instanceof Error ? err.message : String(err)}`);
  }

  /**
   * Runs the engine for the next attempt on the current stock view: a plan stages one reservation
   * per allocation; otherwise the order ends backordered (nothing can serve now, or attempts ran
   * out) or rejected (nothing ever could). Each allocation takes the unit price in force now for its
   * sub-lot's grade and brand on the order's channel (from `book`, read once per batch, else here).
   */
  private async nextAttempt(
    o: OrderRecord,
    now: Date,
    lastRefusal?: string,
    book?: PriceBook,
  ): Promise<{ change: OrderChange; allocations: AllocationDoc[] }> {
    const produce = o.lines.map((l) => l.produce);
    const request = {
      lines: o.lines.map((l) => ({ produce: l.produce, minGrade: l.minGrade, ...(l.brand ? { brand: l.brand } : {}), grams: toGrams(l.quantityKg) })),
      destination: o.destination.location,
      now,
    };
    let stock = await this.stock.snapshot(produce);
    let decision = routeOrder(request, stock, this.settings.policy);
    if (decision.outcome === 'reject' && decision.onStock) {
      // "More than the network holds" is only as true as the view is current: it is decided again
      // on a view known to hold every stock change the warehouse has published (whichever replica
      // read it). On one still catching up (a burst), the order waits and is decided again as soon
      // as the view has caught up. Stock the warehouse has stored but not yet published is not
      // known here at all.
      if (await this.stock.current()) {
        stock = await this.stock.snapshot(produce);
        decision = routeOrder(request, stock, this.settings.policy);
      } else {
        decision = { outcome: 'backorder', reason: `${decision.reason}, as far as this service has heard yet` };
        this.decideAgainWhenCurrent(produce);
      }
    }
    const at = now.toISOString();
    if (decision.outcome === 'reject') {
      const rejected: OrderRejectedV1 = { orderId: o._id, buyerId: o.buyerId, reason: decision.reason, at };
      return {
        change: { set: { status: 'rejected', reason: decision.reason, allocations: [], closedAt: now }, events: [sagaEvent(OrderRejectedV1.type, rejected, now)] },
        allocations: [],
      };
    }
    if (decision.outcome === 'backorder' || o.attempt >= this.settings.maxAttempts) {
      const reason =
        decision.outcome === 'backorder'
          ? decision.reason
          : `reservations refused on ${o.attempt} routing attempt(s)${lastRefusal ? ` (last: ${lastRefusal})` : ''}`;
      const backordered: OrderBackorderedV1 = { orderId: o._id, buyerId: o.buyerId, reason, at };
      return {
        change: { set: { status: 'backordered', reason, allocations: [] }, events: [sagaEvent(OrderBackorderedV1.type, backordered, now)] },
        allocations: [],
      };
    }
    const shipmentIds = new Map(decision.shipments.map((s) => [s.warehouseId, newId('SHP')]));
    const location = new Map(stock.map((p) => [p.warehouseId, p.warehouseLocation]));
    const subLot = new Map(stock.map((p) => [p.subLotId, p]));
    const prices = book ?? (await this.prices.book(produce));
    const priceOf = (line: number, subLotId: string) => {
      const s = subLot.get(subLotId);
      return s ? prices.price(o.lines[line].produce, s.grade, s.brand, o.channel, now) : null;
    };
    const allocations: AllocationDoc[] = decision.allocations.map((a) => ({
      line: a.line,
      warehouseId: a.warehouseId,
      warehouseLocation: location.get(a.warehouseId) ?? o.destination.location,
      subLotId: a.subLotId,
      quantityKg: toKg(a.grams),
      reservationId: newId('RSV'),
      shipmentId: shipmentIds.get(a.warehouseId) ?? newId('SHP'),
      mustLastUntil: a.mustLastUntil,
      ...priced(priceOf(a.line, a.subLotId), a.grams),
    }));
    const set: Record<string, unknown> = { attempt: o.attempt + 1, allocations };
    for (const a of allocations) set[`reservations.${a.reservationId}`] = 'pending';
    const events = allocations.map((a) => {
      const reserve: ReserveStockV1 = {
        reservationId: a.reservationId,
        orderId: o._id,
        warehouseId: a.warehouseId,
        subLotId: a.subLotId,
        quantityKg: a.quantityKg,
        mustLastUntil: a.mustLastUntil.toISOString(),
        requestedAt: at,
      };
      return sagaEvent(ReserveStockV1.type, reserve, now);
    });
    return { change: { set, events }, allocations };
  }

  private hold(allocations: AllocationDoc[]): void {
    for (const a of allocations) this.stock.hold(a.reservationId, a.warehouseId, a.subLotId, toGrams(a.quantityKg));
  }
}

/** An allocation's price fields: integer fen, null when no price applies. */
function priced(price: { fenPerKg: number; version: number } | null, grams: number): Pick<AllocationDoc, 'unitPriceFen' | 'amountFen' | 'priceListVersion'> {
  return price ? { unitPriceFen: price.fenPerKg, amountFen: amountFen(price.fenPerKg, grams), priceListVersion: price.version } : { unitPriceFen: null, amountFen: null };
}
