import { distanceKm } from './geo';
import { canMove, etaAfterCheckpoint, hasLeftWarehouse, type ShipmentState, wasDispatched } from './tracking';

/** Whether each step of a path is allowed, given the timeline so far. */
function walk(path: readonly ShipmentState[]): boolean[] {
  return path.slice(1).map((to, i) => canMove(path[i], to, wasDispatched(path.slice(0, i + 1).map((status) => ({ status })))));
}

describe('shipment tracking', () => {
  it('walks the happy path', () => {
    const path = ['created', 'dispatched', 'info_received', 'in_transit', 'in_transit', 'out_for_delivery', 'delivered'] as const;
    expect(walk(path)).toEqual(path.slice(1).map(() => true));
  });

  it('moves nothing after delivered', () => {
    for (const s of ['in_transit', 'exception', 'delivered', 'attempt_fail'] as const) expect(canMove('delivered', s, true)).toBe(false);
  });

  it('lets an exception recover', () => {
    expect(walk(['created', 'dispatched', 'in_transit', 'exception', 'in_transit'])).toEqual([true, true, true, true]);
    expect(walk(['created', 'dispatched', 'exception', 'delivered'])).toEqual([true, true, true]);
  });

  it('refuses skipping the road', () => {
    expect(canMove('created', 'delivered', false)).toBe(false);
    expect(canMove('dispatched', 'out_for_delivery', true)).toBe(false);
    expect(canMove('out_for_delivery', 'info_received', true)).toBe(false);
  });

  // Issue 22.7: a shipment that never left the warehouse answered 201 to `delivered` after an `exception`.
  it('moves nothing, by any path, before the warehouse has dispatched', () => {
    expect(walk(['created', 'exception', 'delivered'])).toEqual([true, false]);
    expect(walk(['created', 'info_received', 'in_transit'])).toEqual([true, false]);
    expect(walk(['created', 'info_received', 'exception', 'info_received', 'exception', 'in_transit'])).toEqual([true, true, true, true, false]);
    const moving = ['in_transit', 'out_for_delivery', 'attempt_fail', 'available_for_pickup', 'delivered'] as const;
    for (const from of ['created', 'info_received', 'exception'] as const) {
      for (const to of moving) expect(canMove(from, to, false)).toBe(false);
    }
  });

  it('lets the dispatch come after a carrier\'s announcement or exception, and then the road', () => {
    expect(walk(['created', 'exception', 'dispatched', 'in_transit', 'delivered'])).toEqual([true, true, true, true]);
    expect(walk(['created', 'info_received', 'dispatched', 'in_transit'])).toEqual([true, true, true]);
    // Once dispatched, never again.
    expect(walk(['created', 'dispatched', 'exception', 'dispatched'])).toEqual([true, true, false]);
  });

  it('knows when stock has left the warehouse', () => {
    expect(hasLeftWarehouse('created')).toBe(false);
    expect(hasLeftWarehouse('dispatched')).toBe(true);
    expect(hasLeftWarehouse('in_transit')).toBe(true);
    // A carrier's problem report or announcement comes on both sides of the dispatch: it does not
    // say the stock has left, so it must not block a cancellation (the warehouse decides that).
    expect(hasLeftWarehouse('exception')).toBe(false);
    expect(hasLeftWarehouse('info_received')).toBe(false);
  });

  it('recomputes the ETA from the checkpoint', () => {
    const at = new Date('2026-11-02T10:00:00Z');
    const previous = new Date('2026-11-04T00:00:00Z');
    const wuhan = { lat: 30.59, lon: 114.31 };
    const hangzhou = { lat: 30.27, lon: 120.15 };
    const eta = etaAfterCheckpoint('in_transit', at, wuhan, hangzhou, previous, 60);
    expect(eta.getTime() - at.getTime()).toBeCloseTo((distanceKm(wuhan, hangzhou) / 60) * 3_600_000, -2);
    expect(etaAfterCheckpoint('in_transit', at, undefined, hangzhou, previous, 60)).toBe(previous);
    expect(etaAfterCheckpoint('delivered', at, wuhan, hangzhou, previous, 60)).toBe(at);
  });
});
