import { Injectable } from '@nestjs/common';
import type { StockReservedV1 } from '@firstmile/contracts';
import { type Command, withinTrace } from '@firstmile/messaging';
import { StockViewService } from '../../stock-view/stock-view.service';
import { releaseCommand, routedChange } from '../order-saga';
import { type OrderChange, type OrderRecord, OrdersRepository } from '../orders.repository';

/**
 * warehouse.stock: reservations held. Each flips one state of its order; the last one of an attempt
 * routes the order. A refusal routes again: see RouteOrder.
 */
@Injectable()
export class AnswerReservation {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly stock: StockViewService,
  ) {}

  /**
   * Reservations held, as a batch: the stock view takes them in one write, the orders are read at
   * once, decided and written in one bulk write. The answers of one order (an order split over
   * several sub-lots gets one per reservation, often in the same batch) are decided in turn on the
   * order as the previous ones left it, and written as one change. An order that changed in between
   * takes its answers one at a time. Returns the answers that failed.
   */
  async reservedAll(batch: ReadonlyArray<Command<StockReservedV1>>, now = new Date()): Promise<Map<Command<StockReservedV1>, unknown>> {
    await this.stock.reserved(batch.map((b) => b.command));
    const byOrder = new Map<string, Array<Command<StockReservedV1>>>();
    for (const b of batch) byOrder.set(b.command.orderId, [...(byOrder.get(b.command.orderId) ?? []), b]);
    const orders = new Map((await this.orders.findMany([...byOrder.keys()])).map((o) => [o._id, o]));
    const decided: Array<{ order: OrderRecord; change: OrderChange; answers: Array<Command<StockReservedV1>> }> = [];
    const oneByOne: Array<Command<StockReservedV1>> = [];
    for (const [orderId, answers] of byOrder) {
      const o = orders.get(orderId);
      if (!o) continue;
      const change = this.inTurn(o, answers, now);
      if (change) decided.push({ order: o, change, answers });
    }
    const written = await this.orders.writeAll(decided);
    oneByOne.push(...decided.filter((_, i) => !written[i]).flatMap((d) => d.answers));
    const failed = new Map<Command<StockReservedV1>, unknown>();
    for (const answer of oneByOne) {
      await withinTrace(answer, () => this.orders.transition(answer.command.orderId, (o) => this.onReserved(o, answer.command, now))).catch((err: unknown) =>
        failed.set(answer, err),
      );
    }
    return failed;
  }

  /**
   * What several held reservations of one order change, decided in turn, each on the order as the
   * previous ones left it (what `transition` one at a time would do), as one change; null if none
   * changes anything. Each answer's events are made in its own delivery's trace.
   */
  private inTurn(o: OrderRecord, answers: ReadonlyArray<Command<StockReservedV1>>, now: Date): OrderChange | null {
    let order = o;
    const change: OrderChange = { set: {}, events: [] };
    let changed = false;
    for (const answer of answers) {
      const next = withinTrace(answer, () => this.onReserved(order, answer.command, now));
      if (!next) continue;
      changed = true;
      Object.assign(change.set, next.set);
      change.events.push(...next.events);
      order = withSet(order, next.set);
    }
    return changed ? change : null;
  }

  /** What a held reservation changes in its order, if anything. */
  private onReserved(o: OrderRecord, e: StockReservedV1, now: Date): OrderChange | null {
    const state = o.reservations[e.reservationId];
    const current = o.allocations.some((a) => a.reservationId === e.reservationId);
    if (state === 'abandoned' || (state === 'pending' && (!current || o.status !== 'received'))) {
      // Its attempt is over: give the stock back at once rather than wait for the warehouse's expiry.
      return {
        set: { [`reservations.${e.reservationId}`]: 'released' },
        events: [releaseCommand(o._id, e.reservationId, e.warehouseId, e.subLotId, 'superseded', now)],
      };
    }
    if (state !== 'pending') return null;
    const set: Record<string, unknown> = { [`reservations.${e.reservationId}`]: 'reserved' };
    const all = o.allocations.every((a) => a.reservationId === e.reservationId || o.reservations[a.reservationId] === 'reserved');
    if (!all) return { set, events: [] };
    return routedChange(o, set, now);
  }
}

/** The order as a `$set` of these fields (dotted paths into sub-documents) leaves it. */
function withSet(o: OrderRecord, set: OrderChange['set']): OrderRecord {
  const next = structuredClone(o) as unknown as Record<string, unknown>;
  for (const [path, value] of Object.entries(set)) {
    const keys = path.split('.');
    let at = next;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1]] = value;
  }
  return next as unknown as OrderRecord;
}
