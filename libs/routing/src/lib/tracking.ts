import { distanceKm, type GeoPoint } from './geo';

const HOUR_MS = 3_600_000;

/** Statuses a logistics operator may post (API.md). */
export const TRACKING_STATUSES = [
  'info_received',
  'in_transit',
  'out_for_delivery',
  'attempt_fail',
  'delivered',
  'available_for_pickup',
  'exception',
] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/** Every status a shipment can be in: created at routing, dispatched by the warehouse, then tracking. */
export type ShipmentState = 'created' | 'dispatched' | TrackingStatus;

/**
 * Where a shipment may go before the warehouse has dispatched it: the carrier may announce it
 * (`info_received`) or report a problem (`exception`), but nothing moves until the stock has left.
 */
const BEFORE_DISPATCH: Partial<Record<ShipmentState, readonly ShipmentState[]>> = {
  created: ['dispatched', 'info_received', 'exception'],
  info_received: ['dispatched', 'exception'],
  exception: ['dispatched', 'info_received', 'exception'],
};

/**
 * Where a dispatched shipment may go next. Checkpoints repeat (`in_transit` → `in_transit`);
 * `exception` can recover to any moving state; nothing leaves `delivered`.
 */
const AFTER_DISPATCH: Record<ShipmentState, readonly ShipmentState[]> = {
  created: [],
  dispatched: ['info_received', 'in_transit', 'exception'],
  info_received: ['in_transit', 'exception'],
  in_transit: ['in_transit', 'out_for_delivery', 'available_for_pickup', 'attempt_fail', 'delivered', 'exception'],
  out_for_delivery: ['delivered', 'attempt_fail', 'available_for_pickup', 'exception'],
  attempt_fail: ['in_transit', 'out_for_delivery', 'available_for_pickup', 'exception'],
  available_for_pickup: ['delivered', 'in_transit', 'exception'],
  exception: ['info_received', 'in_transit', 'out_for_delivery', 'attempt_fail', 'available_for_pickup', 'delivered', 'exception'],
  delivered: [],
};

/**
 * Where a shipment in `from` may go next. The status alone does not say whether the stock has left:
 * `info_received` and `exception` happen on both sides of the dispatch, so the caller says whether its
 * timeline holds a `dispatched` (see `wasDispatched`). Moving and delivered states need it, whatever
 * path leads there (`created → exception → delivered` was allowed).
 */
export const nextStates = (from: ShipmentState, dispatched: boolean): readonly ShipmentState[] =>
  (dispatched ? AFTER_DISPATCH[from] : BEFORE_DISPATCH[from]) ?? [];

export const canMove = (from: ShipmentState, to: ShipmentState, dispatched: boolean): boolean => nextStates(from, dispatched).includes(to);

/** Whether a shipment's timeline shows the warehouse let its stock leave. */
export const wasDispatched = (timeline: ReadonlyArray<{ status: ShipmentState }>): boolean => timeline.some((e) => e.status === 'dispatched');

/**
 * Statuses that say the stock has left the warehouse: an order can no longer be cancelled. Not
 * `info_received` nor `exception`: both come before a dispatch as well as after it. They leave the
 * question to the warehouse, which refuses to release stock that has left.
 */
export const hasLeftWarehouse = (s: ShipmentState): boolean => s !== 'created' && s !== 'info_received' && s !== 'exception';

/**
 * The ETA after a checkpoint: delivered is now; a checkpoint with a position is the remaining
 * great-circle distance at road speed from there; without a position the previous ETA stands.
 */
export function etaAfterCheckpoint(
  status: ShipmentState,
  at: Date,
  location: GeoPoint | undefined,
  destination: GeoPoint,
  previous: Date,
  roadSpeedKmh: number,
): Date {
  if (status === 'delivered') return at;
  if (!location) return previous;
  return new Date(at.getTime() + (distanceKm(location, destination) / roadSpeedKmh) * HOUR_MS);
}
