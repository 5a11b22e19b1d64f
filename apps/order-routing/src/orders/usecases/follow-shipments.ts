import { Injectable } from '@nestjs/common';
import { OrderFulfilledV1, type ShipmentStatusChangedV1 } from '@firstmile/contracts';
import { sagaEvent } from '../order-saga';
import { OrdersRepository } from '../orders.repository';

/** shipments: this service's own shipment events. Every shipment delivered → the order is fulfilled. */
@Injectable()
export class FollowShipments {
  constructor(private readonly orders: OrdersRepository) {}

  /** shipments: this service's own shipment events. Every shipment delivered → the order is fulfilled. */
  async shipmentChanged(e: ShipmentStatusChangedV1, now = new Date()): Promise<void> {
    await this.orders.transition(e.orderId, (o) => {
      const statuses = { ...o.shipmentStatus, [e.shipmentId]: e.status };
      const fulfilled = o.status === 'routed' && o.shipments.length > 0 && o.shipments.every((s) => statuses[s] === 'delivered');
      if (o.shipmentStatus[e.shipmentId] === e.status && !fulfilled) return null;
      const set: Record<string, unknown> = { [`shipmentStatus.${e.shipmentId}`]: e.status };
      if (!fulfilled) return { set, events: [] };
      const done: OrderFulfilledV1 = { orderId: o._id, buyerId: o.buyerId, shipments: o.shipments, at: now.toISOString() };
      return { set: { ...set, status: 'fulfilled', closedAt: now }, events: [sagaEvent(OrderFulfilledV1.type, done, now)] };
    });
  }
}
