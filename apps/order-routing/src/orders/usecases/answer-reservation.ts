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
   * Reservations held, as a batch: the stock view takes them in one write, then the orders are
   * decided and written a batch at a time (`OrdersRepository.decideAll`): an order split over
   * several sub-lots gets one answer per reservation, often in the same batch, and takes them in
   * turn, in one write. Each answer's events are made in its own delivery's trace. Returns the
   * answers that failed.
   */
  async reservedAll(batch: ReadonlyArray<Command<StockReservedV1>>, now = new Date()): Promise<Map<Command<StockReservedV1>, unknown>> {
    await this.stock.reserved(batch.map((b) => b.command));
    const { failed } = await this.orders.decideAll(
      batch,
      (b) => b.command.orderId,
      (o, b) => withinTrace(b, () => this.onReserved(o, b.command, now)),
    );
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
