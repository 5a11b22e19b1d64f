import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import type { FilterQuery } from 'mongoose';
import { bufferTime, filter, type Subscription } from 'rxjs';
import {
  ConfirmReservationV1,
  type EventPayload,
  type EventType,
  OrderBackorderedV1,
  OrderCancelledV1,
  OrderFulfilledV1,
  OrderPlacedV1,
  OrderRejectedV1,
  OrderRoutedV1,
  type Principal,
  ReleaseReservationV1,
  type ReservationRejectedV1,
  ReserveStockV1,
  type ShipmentStatusChangedV1,
  type StockReservedV1,
} from '@firstmile/contracts';
import { Access, type IdempotencyClaim, newestFirst, type Page, problemFor, ProblemException, type Replayed, replayOf } from '@firstmile/http';
import { type Command, newEvent, type OutboundEvent, withinTrace } from '@firstmile/messaging';
import { derivedId, newId } from '@firstmile/persistence';
import { hasLeftWarehouse, routeOrder, type ShipmentState, toGrams, toKg } from '@firstmile/routing';
import { RoutingSettings, SOURCE } from '../routing.settings';
import { StockViewService } from '../stock-view/stock-view.service';
import type { ListOrdersQuery } from './dto/list-orders.query';
import type { PlaceOrderDto } from './dto/place-order.dto';
import type { AllocationDoc, Order, OrderStatus } from './order.schema';
import { type OrderChange, type OrderRecord, OrdersRepository } from './orders.repository';

export interface OrderView {
  id: string;
  status: OrderStatus;
  channel: string;
  destination: OrderRecord['destination'];
  deliverBy?: string;
  lines: OrderRecord['lines'];
  allocations: Array<{ line: number; warehouseId: string; subLotId: string; quantityKg: number }>;
  shipments: string[];
  reason?: string;
  placedAt: string;
  routedAt?: string;
}

/** Statuses after which nothing about the order moves any more. */
const CLOSED: readonly OrderStatus[] = ['rejected', 'cancelled', 'fulfilled'];
/** Statuses whose `reason` says why the order is where it is. */
const EXPLAINED: readonly OrderStatus[] = ['backordered', 'rejected', 'cancelled'];
const NEWEST = newestFirst<OrderRecord>('placedAt');
/** Stock arrivals are gathered this long, then one sweep serves every produce that arrived. */
const ARRIVAL_WINDOW_MS = 500;
/** Backordered orders looked at per sweep, longest waiting first. */
const SWEEP_BATCH = 200;
/** A sweep over every produce also runs this often: it catches arrivals a restart missed. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The order saga. Routing steps run one at a time in this process (a burst is absorbed by the
 * `orders` topic, not by racing for the same sub-lots); first attempts that arrive together are
 * decided one after another in one step, their reads and writes made at once. Reservation answers
 * only flip states of one order and run concurrently.
 */
@Injectable()
export class OrdersService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OrdersService.name);
  private readonly routing = new Serial();
  private readonly firstRoutes = new Batches<string>(this.routing, (ids) => this.routeTogether(ids));
  private readonly sweeps = new Serial();
  private arrivals?: Subscription;

  constructor(
    private readonly orders: OrdersRepository,
    private readonly stock: StockViewService,
    private readonly settings: RoutingSettings,
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
   * `claim`: the request's Idempotency-Key, hashed. The order's id derives from it and the order
   * records the body's hash, so this one insert is the key's claim and its stored answer: a retry
   * finds the order and gets the first answer again (another body: 422).
   */
  async place(
    caller: Principal,
    dto: PlaceOrderDto,
    claim?: IdempotencyClaim,
    now = new Date(),
  ): Promise<{ id: string; status: OrderStatus } | Replayed<{ id: string; status: OrderStatus }>> {
    if (!caller.buyer) throw new ProblemException(problemFor(403, 'a buyer token must carry the buyer claim'));
    const destination = {
      city: dto.destination.city,
      location: { lat: dto.destination.location.lat, lon: dto.destination.location.lon },
      ...(dto.destination.address !== undefined ? { address: dto.destination.address } : {}),
    };
    const lines = dto.lines.map((l) => ({
      produce: l.produce,
      minGrade: l.minGrade,
      ...(l.brand !== undefined ? { brand: l.brand } : {}),
      quantityKg: l.quantityKg,
    }));
    const order: OrderRecord = {
      _id: claim ? derivedId('ORD', claim.seed) : newId('ORD'),
      ...(claim ? { requestHash: claim.bodyHash } : {}),
      buyerId: caller.buyer,
      channel: dto.channel,
      destination,
      ...(dto.deliverBy ? { deliverBy: new Date(dto.deliverBy) } : {}),
      lines,
      status: 'received',
      attempt: 0,
      allocations: [],
      reservations: {},
      shipments: [],
      shipmentStatus: {},
      rev: 0,
      placedAt: now,
      updatedAt: now,
    };
    const placed: OrderPlacedV1 = {
      orderId: order._id,
      buyerId: order.buyerId,
      channel: order.channel,
      destination,
      ...(dto.deliverBy ? { deliverBy: new Date(dto.deliverBy).toISOString() } : {}),
      lines,
      placedAt: now.toISOString(),
    };
    const answer = { id: order._id, status: 'received' as const };
    if (await this.orders.insert(order, [newEvent(OrderPlacedV1.type, placed, { source: SOURCE, time: now })])) return answer;
    // Only a claim derives an existing id: this is a retry (or a request racing it).
    // The key's identity is the token's subject, which may act for another buyer by now: then the
    // key was used for another request (422), and nothing of the first order is shown.
    const first = await this.orders.findById(order._id);
    return replayOf(claim as IdempotencyClaim, first && Access.buyer(caller, first.buyerId) ? first.requestHash : undefined, () => answer);
  }

  async get(caller: Principal, id: string): Promise<OrderView> {
    return view(await this.owned(caller, id));
  }

  /** A buyer's own orders (ops: everyone's, or one buyer's), newest first. */
  async list(caller: Principal, q: ListOrdersQuery): Promise<Page<OrderView>> {
    const buyerId = caller.role === 'ops' ? q.buyerId : caller.buyer;
    if (caller.role !== 'ops' && (!buyerId || (q.buyerId !== undefined && q.buyerId !== buyerId))) return { items: [], nextCursor: null };
    const filter: FilterQuery<Order> = {};
    if (buyerId) filter.buyerId = buyerId;
    if (q.status) filter.status = q.status;
    if (q.channel) filter.channel = q.channel;
    const page = NEWEST.page(await this.orders.find({ ...filter, ...NEWEST.after(q.cursor) }, NEWEST.sort, q.limit + 1), q.limit);
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  }

  /** Its buyer or ops: releases every reservation; 409 once a shipment has left or the order is closed. */
  async cancel(caller: Principal, id: string, reason: string | undefined, now = new Date()): Promise<OrderView> {
    await this.owned(caller, id);
    await this.orders.transition(id, (o) => {
      if (CLOSED.includes(o.status)) throw ProblemException.conflict(`order ${id} is ${o.status}`, 'order-not-cancellable');
      const left = Object.entries(o.shipmentStatus).find(([, s]) => hasLeftWarehouse(s as ShipmentState));
      if (left) throw ProblemException.conflict(`shipment ${left[0]} of order ${id} is ${left[1]}`, 'order-dispatched');
      const { set, events } = this.endAttempt(o, reason ?? 'order cancelled', now);
      const cancelled: OrderCancelledV1 = { orderId: id, buyerId: o.buyerId, ...(reason ? { reason } : {}), at: now.toISOString() };
      return {
        set: { ...set, status: 'cancelled', allocations: [], closedAt: now, ...(reason ? { reason } : {}) },
        events: [...events, this.event(OrderCancelledV1.type, cancelled, now)],
      };
    });
    return view(await this.owned(caller, id));
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
    for (const o of orders) {
      if (o.status !== 'received' || o.attempt > 0) continue;
      const next = await this.nextAttempt(o, now);
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

  /** warehouse.stock: a reservation held. The last one of an attempt routes the order. */
  async reserved(e: StockReservedV1, now = new Date()): Promise<void> {
    await this.stock.reserved([e]);
    await this.orders.transition(e.orderId, (o) => this.onReserved(o, e, now));
  }

  /**
   * Reservations held, as a batch: the stock view takes them in one write, the orders are read at
   * once, decided and written in one bulk write. An order that changed in between, or that has
   * several answers in the batch, takes its answers one at a time. Returns the answers that failed.
   */
  async reservedAll(batch: ReadonlyArray<Command<StockReservedV1>>, now = new Date()): Promise<Map<Command<StockReservedV1>, unknown>> {
    await this.stock.reserved(batch.map((b) => b.command));
    const byOrder = new Map<string, Array<Command<StockReservedV1>>>();
    for (const b of batch) byOrder.set(b.command.orderId, [...(byOrder.get(b.command.orderId) ?? []), b]);
    const orders = new Map((await this.orders.findMany([...byOrder.keys()])).map((o) => [o._id, o]));
    const decided: Array<{ order: OrderRecord; change: OrderChange; answer: Command<StockReservedV1> }> = [];
    const oneByOne: Array<Command<StockReservedV1>> = [];
    for (const [orderId, answers] of byOrder) {
      const o = orders.get(orderId);
      if (!o) continue;
      if (answers.length > 1) {
        oneByOne.push(...answers);
        continue;
      }
      const [answer] = answers;
      const change = withinTrace(answer, () => this.onReserved(o, answer.command, now));
      if (change) decided.push({ order: o, change, answer });
    }
    const written = await this.orders.writeAll(decided);
    oneByOne.push(...decided.filter((_, i) => !written[i]).map((d) => d.answer));
    const failed = new Map<Command<StockReservedV1>, unknown>();
    for (const answer of oneByOne) {
      await withinTrace(answer, () => this.orders.transition(answer.command.orderId, (o) => this.onReserved(o, answer.command, now))).catch((err: unknown) =>
        failed.set(answer, err),
      );
    }
    return failed;
  }

  /** What a held reservation changes in its order, if anything. */
  private onReserved(o: OrderRecord, e: StockReservedV1, now: Date): OrderChange | null {
    const state = o.reservations[e.reservationId];
    const current = o.allocations.some((a) => a.reservationId === e.reservationId);
    if (state === 'abandoned' || (state === 'pending' && (!current || o.status !== 'received'))) {
      // Its attempt is over: give the stock back at once rather than wait for the warehouse's expiry.
      return {
        set: { [`reservations.${e.reservationId}`]: 'released' },
        events: [this.release(o._id, e.reservationId, e.warehouseId, e.subLotId, 'superseded', now)],
      };
    }
    if (state !== 'pending') return null;
    const set: Record<string, unknown> = { [`reservations.${e.reservationId}`]: 'reserved' };
    const all = o.allocations.every((a) => a.reservationId === e.reservationId || o.reservations[a.reservationId] === 'reserved');
    if (!all) return { set, events: [] };
    return this.routed(o, set, now);
  }

  /** warehouse.stock: a reservation was refused. Release the attempt's others and route again. */
  async rejected(e: ReservationRejectedV1, now = new Date()): Promise<void> {
    await this.stock.rejected(e);
    await this.routing.run(async () => {
      let holds: AllocationDoc[] = [];
      const changed = await this.orders.transition(e.orderId, async (o) => {
        const state = o.reservations[e.reservationId];
        if (state === 'abandoned') return { set: { [`reservations.${e.reservationId}`]: 'rejected' }, events: [] };
        const current = o.allocations.some((a) => a.reservationId === e.reservationId);
        if (state !== 'pending' || !current || o.status !== 'received') return null;
        const ended = this.endAttempt(o, `reservation ${e.reservationId} refused: ${e.reason}`, now);
        ended.set[`reservations.${e.reservationId}`] = 'rejected';
        const next = await this.nextAttempt(o, now, e.reason);
        holds = next.allocations;
        return { set: { ...ended.set, ...next.change.set }, events: [...ended.events, ...next.change.events] };
      });
      if (changed) this.hold(holds);
    });
  }

  /** shipments: this service's own shipment events. Every shipment delivered → the order is fulfilled. */
  async shipmentChanged(e: ShipmentStatusChangedV1, now = new Date()): Promise<void> {
    await this.orders.transition(e.orderId, (o) => {
      const statuses = { ...o.shipmentStatus, [e.shipmentId]: e.status };
      const fulfilled = o.status === 'routed' && o.shipments.length > 0 && o.shipments.every((s) => statuses[s] === 'delivered');
      if (o.shipmentStatus[e.shipmentId] === e.status && !fulfilled) return null;
      const set: Record<string, unknown> = { [`shipmentStatus.${e.shipmentId}`]: e.status };
      if (!fulfilled) return { set, events: [] };
      const done: OrderFulfilledV1 = { orderId: o._id, buyerId: o.buyerId, shipments: o.shipments, at: now.toISOString() };
      return { set: { ...set, status: 'fulfilled', closedAt: now }, events: [this.event(OrderFulfilledV1.type, done, now)] };
    });
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

  private sweepFailed(err: unknown): void {
    this.logger.error(`backorder sweep failed (the next arrival or the periodic sweep retries): ${err instanceof Error ? err.message : String(err)}`);
  }

  private async owned(caller: Principal, id: string): Promise<OrderRecord> {
    const order = await this.orders.findById(id);
    return Access.orNotFound(order, (o) => Access.buyer(caller, o.buyerId), 'order', id);
  }

  /**
   * Runs the engine for the next attempt on the current stock view: a plan stages one reservation
   * per allocation; otherwise the order ends backordered (nothing can serve now, or attempts ran
   * out) or rejected (nothing ever could).
   */
  private async nextAttempt(o: OrderRecord, now: Date, lastRefusal?: string): Promise<{ change: OrderChange; allocations: AllocationDoc[] }> {
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
      // read it); on a lagging one the order waits, and an arrival or the periodic sweep decides it
      // again. Stock the warehouse has stored but not yet published is not known here at all.
      if (await this.stock.current()) {
        stock = await this.stock.snapshot(produce);
        decision = routeOrder(request, stock, this.settings.policy);
      } else {
        decision = { outcome: 'backorder', reason: `${decision.reason}, as far as this service has heard yet` };
      }
    }
    const at = now.toISOString();
    if (decision.outcome === 'reject') {
      const rejected: OrderRejectedV1 = { orderId: o._id, buyerId: o.buyerId, reason: decision.reason, at };
      return {
        change: { set: { status: 'rejected', reason: decision.reason, allocations: [], closedAt: now }, events: [this.event(OrderRejectedV1.type, rejected, now)] },
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
        change: { set: { status: 'backordered', reason, allocations: [] }, events: [this.event(OrderBackorderedV1.type, backordered, now)] },
        allocations: [],
      };
    }
    const shipmentIds = new Map(decision.shipments.map((s) => [s.warehouseId, newId('SHP')]));
    const location = new Map(stock.map((p) => [p.warehouseId, p.warehouseLocation]));
    const allocations: AllocationDoc[] = decision.allocations.map((a) => ({
      line: a.line,
      warehouseId: a.warehouseId,
      warehouseLocation: location.get(a.warehouseId) ?? o.destination.location,
      subLotId: a.subLotId,
      quantityKg: toKg(a.grams),
      reservationId: newId('RSV'),
      shipmentId: shipmentIds.get(a.warehouseId) ?? newId('SHP'),
      mustLastUntil: a.mustLastUntil,
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
      return this.event(ReserveStockV1.type, reserve, now);
    });
    return { change: { set, events }, allocations };
  }

  /** Closes the current attempt: what it holds is released, what it still waits for is abandoned. */
  private endAttempt(o: OrderRecord, reason: string, now: Date): { set: Record<string, unknown>; events: OutboundEvent[] } {
    const set: Record<string, unknown> = {};
    const events: OutboundEvent[] = [];
    for (const a of o.allocations) {
      const state = o.reservations[a.reservationId];
      if (state === 'reserved') {
        set[`reservations.${a.reservationId}`] = 'released';
        events.push(this.release(o._id, a.reservationId, a.warehouseId, a.subLotId, reason, now));
      } else if (state === 'pending') {
        set[`reservations.${a.reservationId}`] = 'abandoned';
      }
    }
    return { set, events };
  }

  private routed(o: OrderRecord, set: Record<string, unknown>, now: Date): OrderChange {
    const at = now.toISOString();
    const shipments = [...new Set(o.allocations.map((a) => a.shipmentId))];
    const routed: OrderRoutedV1 = {
      orderId: o._id,
      buyerId: o.buyerId,
      destination: o.destination,
      allocations: o.allocations.map((a) => ({
        line: a.line,
        warehouseId: a.warehouseId,
        subLotId: a.subLotId,
        quantityKg: a.quantityKg,
        reservationId: a.reservationId,
        shipmentId: a.shipmentId,
        warehouseLocation: { lat: a.warehouseLocation.lat, lon: a.warehouseLocation.lon },
      })),
      placedAt: new Date(o.placedAt).toISOString(),
      routedAt: at,
    };
    const confirms = o.allocations.map((a) => {
      const confirm: ConfirmReservationV1 = {
        reservationId: a.reservationId,
        orderId: o._id,
        shipmentId: a.shipmentId,
        warehouseId: a.warehouseId,
        subLotId: a.subLotId,
        requestedAt: at,
      };
      return this.event(ConfirmReservationV1.type, confirm, now);
    });
    return {
      set: { ...set, status: 'routed', routedAt: now, shipments },
      events: [this.event(OrderRoutedV1.type, routed, now), ...confirms],
    };
  }

  private release(orderId: string, reservationId: string, warehouseId: string, subLotId: string, reason: string, now: Date): OutboundEvent {
    const release: ReleaseReservationV1 = { reservationId, orderId, warehouseId, subLotId, reason: reason.slice(0, 200), requestedAt: now.toISOString() };
    return this.event(ReleaseReservationV1.type, release, now);
  }

  private event<T extends EventType>(type: T, data: EventPayload<T>, now: Date): OutboundEvent {
    return newEvent(type, data, { source: SOURCE, time: now });
  }

  private hold(allocations: AllocationDoc[]): void {
    for (const a of allocations) this.stock.hold(a.reservationId, a.warehouseId, a.subLotId, toGrams(a.quantityKg));
  }
}

function view(o: OrderRecord): OrderView {
  const holding = o.status === 'routed' || o.status === 'fulfilled';
  return {
    id: o._id,
    status: o.status,
    channel: o.channel,
    destination: o.destination,
    ...(o.deliverBy ? { deliverBy: new Date(o.deliverBy).toISOString() } : {}),
    lines: o.lines,
    // Only what is really held for the order: an attempt in flight promises nothing yet.
    allocations: holding
      ? o.allocations.map((a) => ({ line: a.line, warehouseId: a.warehouseId, subLotId: a.subLotId, quantityKg: a.quantityKg }))
      : [],
    shipments: o.shipments,
    ...(o.reason && EXPLAINED.includes(o.status) ? { reason: o.reason } : {}),
    placedAt: new Date(o.placedAt).toISOString(),
    ...(o.routedAt ? { routedAt: new Date(o.routedAt).toISOString() } : {}),
  };
}

/**
 * Gathers keys into steps of a `Serial`: a key added while no step of this kind waits to start opens
 * one; keys added before it starts join it. `run` answers each key's failure; a key without one
 * resolves.
 */
class Batches<K> {
  private open?: { keys: K[]; result: Promise<Map<K, unknown>> };

  constructor(
    private readonly serial: Serial,
    private readonly run: (keys: K[]) => Promise<Map<K, unknown>>,
  ) {}

  async add(key: K): Promise<void> {
    let batch = this.open;
    if (!batch) {
      const keys: K[] = [];
      const opened = {
        keys,
        result: this.serial.run(() => {
          if (this.open === opened) this.open = undefined;
          return this.run(keys);
        }),
      };
      this.open = batch = opened;
    }
    batch.keys.push(key);
    const failed = await batch.result;
    if (failed.has(key)) throw failed.get(key);
  }
}

/** Runs tasks one after another, each starting when the previous one settled. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
