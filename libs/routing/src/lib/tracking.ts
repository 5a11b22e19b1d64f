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
 * Where a shipment may go next. Checkpoints repeat (`in_transit` → `in_transit`); `exception` can
 * recover to any moving state; nothing leaves `delivered`.
 */
const NEXT: Record<ShipmentState, readonly ShipmentState[]> = {
  created: ['dispatched', 'info_received', 'exception'],
  info_received: ['dispatched', 'in_transit', 'exception'],
  dispatched: ['info_received', 'in_transit', 'exception'],
  in_transit: ['in_transit', 'out_for_delivery', 'available_for_pickup', 'attempt_fail', 'delivered', 'exception'],
  out_for_delivery: ['delivered', 'attempt_fail', 'available_for_pickup', 'exception'],
  attempt_fail: ['in_transit', 'out_for_delivery', 'available_for_pickup', 'exception'],
  available_for_pickup: ['delivered', 'in_transit', 'exception'],
  exception: ['info_received', 'in_transit', 'out_for_delivery', 'attempt_fail', 'available_for_pickup', 'delivered', 'exception'],
  delivered: [],
};

export const canMove = (from: ShipmentState, to: ShipmentState): boolean => NEXT[from].includes(to);

export const nextStates = (from: ShipmentState): readonly ShipmentState[] => NEXT[from];

/** Statuses after which stock has left the warehouse: an order can no longer be cancelled. */
export const hasLeftWarehouse = (s: ShipmentState): boolean => s !== 'created' && s !== 'info_received';

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
