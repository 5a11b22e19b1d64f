import {
  ConfirmReservationV1,
  type EventPayload,
  type EventType,
  OrderCancelledV1,
  OrderFulfilledV1,
  OrderRoutedV1,
  ReleaseReservationV1,
  type ShipmentStatus,
} from '@firstmile/contracts';
import { hasLeftWarehouse } from '@firstmile/routing';
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

/** A shipment of the order that has left the warehouse, as far as this service has heard. */
export function shipmentLeft(o: OrderRecord): [string, string] | undefined {
  return Object.entries(o.shipmentStatus).find(([, s]) => hasLeftWarehouse(s as ShipmentStatus));
}

/**
 * A cancellation asked for (the caller has checked the order is not closed and nothing is known to
 * have left). An order that holds nothing confirmed is cancelled at once: a held reservation cannot
 * leave, so releasing it cannot lose. A routed order's reservations are confirmed for shipments the
 * warehouse may be dispatching this very moment: the cancellation becomes a request — `cancelling`,
 * one release per reservation — that the warehouse answers for each, released or refused because
 * the stock has left (`cancelAnswered`). A cancellation already under way changes nothing.
 */
export function cancelRequested(o: OrderRecord, reason: string | undefined, now: Date): OrderChange | null {
  if (o.status === 'cancelling') return null;
  const why = reason ?? 'order cancelled';
  if (o.status === 'routed') {
    const set: Record<string, unknown> = { status: 'cancelling', reason: why };
    const events: OutboundEvent[] = [];
    for (const a of o.allocations) {
      if (o.reservations[a.reservationId] !== 'reserved') continue;
      set[`reservations.${a.reservationId}`] = 'releasing';
      events.push(releaseCommand(o._id, a.reservationId, a.warehouseId, a.subLotId, why, now));
    }
    return events.length > 0 ? { set, events } : cancelled(o, set, events, reason, now);
  }
  const ended = endAttempt(o, why, now);
  return cancelled(o, ended.set, ended.events, reason, now);
}

/**
 * The warehouse's answer to one release of a cancellation: `released` (by the release, or because
 * the reservation had lapsed already) or `dispatched` (refused: its stock had left). Once every
 * reservation is answered the order ends in one state: `cancelled` when nothing had left; otherwise
 * `routed` with only what left (its shipments, or `fulfilled` if they are all delivered already),
 * and `cancelRefused` saying why. Anything else (not cancelling, this reservation not awaited, a
 * redelivery) changes nothing.
 */
export function cancelAnswered(o: OrderRecord, reservationId: string, answer: 'released' | 'dispatched', now: Date): OrderChange | null {
  if (o.status !== 'cancelling' || o.reservations[reservationId] !== 'releasing') return null;
  const set: Record<string, unknown> = { [`reservations.${reservationId}`]: answer };
  const state = (id: string) => (id === reservationId ? answer : o.reservations[id]);
  if (o.allocations.some((a) => state(a.reservationId) === 'releasing')) return { set, events: [] };
  const left = o.allocations.filter((a) => state(a.reservationId) === 'dispatched');
  if (left.length === 0) return cancelled(o, set, [], o.reason, now);
  const shipments = [...new Set(left.map((a) => a.shipmentId))];
  const refused = `cancellation refused: shipment ${shipments.join(', ')} had left the warehouse; ${
    left.length === o.allocations.length ? 'nothing was released' : 'the rest was released'
  }`;
  const kept = { ...set, status: 'routed', allocations: left, shipments, cancelRefused: refused };
  if (!shipments.every((s) => o.shipmentStatus[s] === 'delivered')) return { set: kept, events: [] };
  const done: OrderFulfilledV1 = { orderId: o._id, buyerId: o.buyerId, shipments, at: now.toISOString() };
  return { set: { ...kept, status: 'fulfilled', closedAt: now }, events: [sagaEvent(OrderFulfilledV1.type, done, now)] };
}

function cancelled(o: OrderRecord, set: Record<string, unknown>, events: OutboundEvent[], reason: string | undefined, now: Date): OrderChange {
  const event: OrderCancelledV1 = { orderId: o._id, buyerId: o.buyerId, ...(reason ? { reason } : {}), at: now.toISOString() };
  return {
    set: { ...set, status: 'cancelled', allocations: [], closedAt: now, ...(reason ? { reason } : {}) },
    events: [...events, sagaEvent(OrderCancelledV1.type, event, now)],
  };
}

/**
 * The warehouse no longer held a reservation the order confirmed (it lapsed before the
 * confirmation came). A routed order does not hold what it was routed on: its attempt ends (what
 * it still holds is released) and it is routed again — `reroute`, which the caller runs on the
 * stock view. A cancelling order takes it as released. Anything else (an attempt over already, a
 * redelivery) changes nothing. An order a shipment of which has left is not routed again as a
 * whole (that shipment cannot come back): `stuck`, for the caller to report.
 */
export function onLapsed(o: OrderRecord, reservationId: string, now: Date): OrderChange | 'reroute' | 'stuck' | null {
  if (o.status === 'cancelling') return cancelAnswered(o, reservationId, 'released', now);
  const current = o.allocations.some((a) => a.reservationId === reservationId);
  if (o.status !== 'routed' || !current || o.reservations[reservationId] !== 'reserved') return null;
  return shipmentLeft(o) ? 'stuck' : 'reroute';
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
