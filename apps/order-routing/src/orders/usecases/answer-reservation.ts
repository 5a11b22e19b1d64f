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
