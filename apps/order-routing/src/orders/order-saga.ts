import {
  ConfirmReservationV1,
  type EventPayload,
  type EventType,
  OrderRoutedV1,
  ReleaseReservationV1,
} from '@firstmile/contracts';
import { newEvent, type OutboundEvent } from '@firstmile/messaging';
import { SOURCE } from '../routing.settings';
import type { OrderStatus } from './order.schema';
import type { OrderChange, OrderRecord } from './orders.repository';

/**
 * The steps of the order saga every use case shares, as pure functions of the order: the events
 * and commands a change stages, the end of a routing attempt, the change that routes an order.
 */

/** Statuses after which nothing about the order moves any more. */
export const CLOSED: readonly OrderStatus[] = ['rejected', 'cancelled', 'fulfilled'];

/** Closes the current attempt: what it holds is released, what it still waits for is abandoned. */
export function endAttempt(o: OrderRecord, reason: string, now: Date): { set: Record<string, unknown>; events: OutboundEvent[] } {
  const set: Record<string, unknown> = {};
  const events: OutboundEvent[] = [];
  for (const a of o.allocations) {
    const state = o.reservations[a.reservationId];
    if (state === 'reserved') {
      set[`reservations.${a.reservationId}`] = 'released';
      events.push(releaseCommand(o._id, a.reservationId, a.warehouseId, a.subLotId, reason, now));
    } else if (state === 'pending') {
      set[`reservations.${a.reservationId}`] = 'abandoned';
    }
  }
  return { set, events };
}

/** The order routed: every reservation of its attempt held, so they are confirmed and its shipments follow. */
export function routedChange(o: OrderRecord, set: Record<string, unknown>, now: Date): OrderChange {
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
      unitPriceFen: a.unitPriceFen ?? null,
      amountFen: a.amountFen ?? null,
      ...(a.priceListVersion ? { priceListVersion: a.priceListVersion } : {}),
    })),
    placedAt: new Date(o.placedAt).toISOString(),
    routedAt: at,
    channel: o.channel,
    ...(o.deliverBy ? { deliverBy: new Date(o.deliverBy).toISOString() } : {}),
    currency: 'CNY',
    totalFen: o.allocations.reduce((t, a) => t + (a.amountFen ?? 0), 0),
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
    return sagaEvent(ConfirmReservationV1.type, confirm, now);
  });
  return {
    set: { ...set, status: 'routed', routedAt: now, shipments },
    events: [sagaEvent(OrderRoutedV1.type, routed, now), ...confirms],
  };
}

/** Gives a reservation back to the warehouse. */
export function releaseCommand(orderId: string, reservationId: string, warehouseId: string, subLotId: string, reason: string, now: Date): OutboundEvent {
  const release: ReleaseReservationV1 = { reservationId, orderId, warehouseId, subLotId, reason: reason.slice(0, 200), requestedAt: now.toISOString() };
  return sagaEvent(ReleaseReservationV1.type, release, now);
}

/** An event or command this service stages, stamped with its source and time. */
export function sagaEvent<T extends EventType>(type: T, data: EventPayload<T>, now: Date): OutboundEvent {
  return newEvent(type, data, { source: SOURCE, time: now });
}
