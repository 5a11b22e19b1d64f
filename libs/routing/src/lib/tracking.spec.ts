import { distanceKm } from './geo';
import { canMove, etaAfterCheckpoint, hasLeftWarehouse } from './tracking';

describe('shipment tracking', () => {
  it('walks the happy path', () => {
    const path = ['created', 'dispatched', 'info_received', 'in_transit', 'in_transit', 'out_for_delivery', 'delivered'] as const;
    for (let i = 1; i < path.length; i++) expect(canMove(path[i - 1], path[i])).toBe(true);
  });

  it('moves nothing after delivered', () => {
    for (const s of ['in_transit', 'exception', 'delivered', 'attempt_fail'] as const) expect(canMove('delivered', s)).toBe(false);
  });

  it('lets an exception recover', () => {
    expect(canMove('in_transit', 'exception')).toBe(true);
    expect(canMove('exception', 'in_transit')).toBe(true);
    expect(canMove('exception', 'delivered')).toBe(true);
  });

  it('refuses skipping the road', () => {
    expect(canMove('created', 'delivered')).toBe(false);
    expect(canMove('dispatched', 'out_for_delivery')).toBe(false);
    expect(canMove('out_for_delivery', 'info_received')).toBe(false);
  });

  it('knows when stock has left the warehouse', () => {
    expect(hasLeftWarehouse('created')).toBe(false);
    expect(hasLeftWarehouse('dispatched')).toBe(true);
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
