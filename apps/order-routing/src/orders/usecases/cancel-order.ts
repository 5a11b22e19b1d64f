import { Injectable, Logger } from '@nestjs/common';
import type { Principal, ReservationReleasedV1, ReservationReleaseRefusedV1 } from '@firstmile/contracts';
import { ProblemException } from '@firstmile/http';
import { type Command, withinTrace } from '@firstmile/messaging';
import { cancelAnswered, cancelRequested, CLOSED, shipmentLeft } from '../order-saga';
import { type OrderView, view } from '../order-view';
import { OrdersRepository } from '../orders.repository';
import { ReadOrders } from './read-orders';

/**
 * POST /v1/orders/:id/cancel, and the warehouse's answers to the releases it asks for. Whether a
 * routed order's stock has left is the warehouse's to say, not this service's view of the
 * shipments: the cancellation of a routed order is a request the warehouse can refuse.
 */
@Injectable()
export class CancelOrder {
  private readonly logger = new Logger(CancelOrder.name);

  constructor(
    private readonly orders: OrdersRepository,
    private readonly read: ReadOrders,
  ) {}

  /**
   * Its buyer or ops: an order that holds nothing confirmed is cancelled at once; a routed one
   * becomes `cancelling` until the warehouse has answered each release (see `cancelRequested`).
   * 409 once a shipment is known to have left, or the order is closed.
   */
  async cancel(caller: Principal, id: string, reason: string | undefined, now = new Date()): Promise<OrderView> {
    await this.read.owned(caller, id);
    await this.orders.transition(id, (o) => {
      if (CLOSED.includes(o.status)) throw ProblemException.conflict(`order ${id} is ${o.status}`, 'order-not-cancellable');
      const left = shipmentLeft(o);
      if (left) throw ProblemException.conflict(`shipment ${left[0]} of order ${id} is ${left[1]}`, 'order-dispatched');
      return cancelRequested(o, reason, now);
    });
    return view(await this.read.owned(caller, id));
  }

  /**
   * warehouse.stock: reservations released. Those a cancellation waits for are answered (the batch's
   * orders read at once and written in one bulk write); the others were not asked for by a
   * cancellation and change no order. Returns the answers that failed.
   */
  async releasedAll(batch: ReadonlyArray<Command<ReservationReleasedV1>>, now = new Date()): Promise<Map<Command<ReservationReleasedV1>, unknown>> {
    // Only a release on request answers a cancellation; one on expiry answers nothing (a confirmation
    // that meets it is answered reservation.lapsed).
    const requested = batch.filter((b) => b.command.reason === 'requested');
    const { failed } = await this.orders.decideAll(
      requested,
      (b) => b.command.orderId,
      (o, b) => withinTrace(b, () => cancelAnswered(o, b.command.reservationId, 'released', now)),
    );
    return failed;
  }

  /** warehouse.stock: releases refused because the stock had left. The cancellation loses that shipment. */
  async refusedAll(batch: ReadonlyArray<Command<ReservationReleaseRefusedV1>>, now = new Date()): Promise<Map<Command<ReservationReleaseRefusedV1>, unknown>> {
    const { failed, changed } = await this.orders.decideAll(
      batch,
      (b) => b.command.orderId,
      (o, b) => withinTrace(b, () => cancelAnswered(o, b.command.reservationId, 'dispatched', now)),
    );
    for (const b of batch) {
      if (!changed.has(b) && !failed.has(b)) {
        // Not a cancellation's: a release of an ended attempt met stock that had left (see onLapsed).
        this.logger.warn(`release of reservation ${b.command.reservationId} (order ${b.command.orderId}) refused: shipment ${b.command.shipmentId} had left`);
      }
    }
    return failed;
  }
}
