import { Injectable } from '@nestjs/common';
import { OrderCancelledV1, type Principal } from '@firstmile/contracts';
import { ProblemException } from '@firstmile/http';
import { hasLeftWarehouse, type ShipmentState } from '@firstmile/routing';
import { CLOSED, endAttempt, sagaEvent } from '../order-saga';
import { type OrderView, view } from '../order-view';
import { OrdersRepository } from '../orders.repository';
import { ReadOrders } from './read-orders';

/** POST /v1/orders/:id/cancel. */
@Injectable()
export class CancelOrder {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly read: ReadOrders,
  ) {}

  /** Its buyer or ops: releases every reservation; 409 once a shipment has left or the order is closed. */
  async cancel(caller: Principal, id: string, reason: string | undefined, now = new Date()): Promise<OrderView> {
    await this.read.owned(caller, id);
    await this.orders.transition(id, (o) => {
      if (CLOSED.includes(o.status)) throw ProblemException.conflict(`order ${id} is ${o.status}`, 'order-not-cancellable');
      const left = Object.entries(o.shipmentStatus).find(([, s]) => hasLeftWarehouse(s as ShipmentState));
      if (left) throw ProblemException.conflict(`shipment ${left[0]} of order ${id} is ${left[1]}`, 'order-dispatched');
      const { set, events } = endAttempt(o, reason ?? 'order cancelled', now);
      const cancelled: OrderCancelledV1 = { orderId: id, buyerId: o.buyerId, ...(reason ? { reason } : {}), at: now.toISOString() };
      return {
        set: { ...set, status: 'cancelled', allocations: [], closedAt: now, ...(reason ? { reason } : {}) },
        events: [...events, sagaEvent(OrderCancelledV1.type, cancelled, now)],
      };
    });
    return view(await this.read.owned(caller, id));
  }
}
