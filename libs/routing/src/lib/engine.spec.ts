import { toGrams } from '@firstmile/contracts';
import { distanceKm, type GeoPoint } from './geo';
import { DEFAULT_GRADE_ORDER, formatGradeOrder, gradeAtLeast, parseGradeOrder } from './grades';
import { DEFAULT_POLICY, type LineRequest, routeOrder, type RoutingPolicy, type StockPosition, transitHours } from './engine';

const NOW = new Date('2026-11-01T08:00:00Z');
const DAY = 86_400_000;
const policy: RoutingPolicy = { ...DEFAULT_POLICY, gradeOrder: DEFAULT_GRADE_ORDER };

const PLACES = {
  hangzhou: { lat: 30.27, lon: 120.15 },
  shanghai: { lat: 31.23, lon: 121.47 },
  wuhan: { lat: 30.59, lon: 114.31 },
  beijing: { lat: 39.9, lon: 116.41 },
  guangzhou: { lat: 23.13, lon: 113.26 },
  xunwu: { lat: 24.96, lon: 115.65 },
} satisfies Record<string, GeoPoint>;
type PlaceName = keyof typeof PLACES;

let seq = 0;
function stock(at: PlaceName, kg: number, over: Partial<StockPosition> = {}): StockPosition {
  seq++;
  return {
    warehouseId: `WH-${at.toUpperCase()}`,
    warehouseLocation: PLACES[at],
    subLotId: `SL-${at}-${seq}`,
    produce: 'apple',
    grade: 'premium',
    brand: null,
    bestBefore: new Date(NOW.getTime() + 90 * DAY),
    onHandGrams: toGrams(kg),
    availableGrams: toGrams(kg),
    ...over,
  };
}

const line = (kg: number, over: Partial<LineRequest> = {}): LineRequest => ({ produce: 'apple', minGrade: 'grade_2', grams: toGrams(kg), ...over });
const route = (lines: LineRequest[], network: StockPosition[], to: PlaceName = 'hangzhou', p: RoutingPolicy = policy) =>
  routeOrder({ lines, destination: PLACES[to], now: NOW }, network, p);

function plan(decision: ReturnType<typeof routeOrder>) {
  if (decision.outcome !== 'plan') throw new Error(`expected a plan, got ${decision.outcome}: ${decision.reason}`);
  return decision;
}

describe('routeOrder', () => {
  it('sends the whole line from the nearest warehouse when it can serve it', () => {
    const network = [stock('beijing', 100), stock('wuhan', 100), stock('shanghai', 100)];
    const d = plan(route([line(50)], network));
    expect(d.shipments.map((s) => s.warehouseId)).toEqual(['WH-SHANGHAI']);
    expect(d.allocations).toEqual([expect.objectContaining({ line: 0, warehouseId: 'WH-SHANGHAI', grams: 50_000 })]);
  });

  it('prefers one shipment from a farther warehouse to two from nearer ones', () => {
    const network = [stock('shanghai', 30), stock('wuhan', 30), stock('beijing', 100)];
    const d = plan(route([line(50)], network));
    expect(d.shipments.map((s) => s.warehouseId)).toEqual(['WH-BEIJING']);
    expect(d.allocations.reduce((g, a) => g + a.grams, 0)).toBe(50_000);
  });

  it('splits over the two warehouses with the shortest total transit when no single one can serve', () => {
    const network = [stock('shanghai', 30), stock('wuhan', 30), stock('beijing', 30)];
    const d = plan(route([line(50)], network));
    expect(d.shipments.map((s) => s.warehouseId).sort()).toEqual(['WH-SHANGHAI', 'WH-WUHAN']);
    expect(d.allocations.reduce((g, a) => g + a.grams, 0)).toBe(50_000);
  });

  it('never sends passion fruit with too little shelf life left to a far city', () => {
    // Three days left: enough for Guangzhou (~16 h away with handling) plus the 2-day margin, not for Beijing.
    const shortLived = stock('xunwu', 500, { produce: 'passion_fruit', grade: 'jumbo', bestBefore: new Date(NOW.getTime() + 3 * DAY) });
    const pf = line(20, { produce: 'passion_fruit', minGrade: 'large' });
    expect(route([pf], [shortLived], 'beijing')).toEqual({ outcome: 'backorder', reason: expect.stringContaining('shelf life') });
    const near = plan(route([pf], [shortLived], 'guangzhou'));
    expect(near.allocations[0].subLotId).toBe(shortLived.subLotId);
    // Its reservation asks the warehouse to guarantee the same thing.
    expect(near.allocations[0].mustLastUntil.getTime()).toBeLessThanOrEqual(shortLived.bestBefore.getTime());
  });

  it('takes fresher passion fruit from farther away for a far city rather than fruit that would spoil', () => {
    const shortLived = stock('xunwu', 500, { produce: 'passion_fruit', grade: 'jumbo', bestBefore: new Date(NOW.getTime() + 3 * DAY) });
    const fresh = stock('guangzhou', 500, { produce: 'passion_fruit', grade: 'large', bestBefore: new Date(NOW.getTime() + 15 * DAY) });
    const d = plan(route([line(20, { produce: 'passion_fruit', minGrade: 'large' })], [shortLived, fresh], 'beijing'));
    expect(d.allocations.map((a) => a.subLotId)).toEqual([fresh.subLotId]);
  });

  it('honours the brand when one is asked, and ignores it otherwise', () => {
    const plain = stock('shanghai', 100);
    const branded = stock('beijing', 100, { brand: 'Lixian Apple (礼县苹果)' });
    const asked = plan(route([line(10, { brand: 'Lixian Apple (礼县苹果)' })], [plain, branded]));
    expect(asked.allocations.map((a) => a.subLotId)).toEqual([branded.subLotId]);
    const any = plan(route([line(10)], [plain, branded]));
    expect(any.allocations.map((a) => a.subLotId)).toEqual([plain.subLotId]);
  });

  it('serves a minimum grade with that grade or better, never worse', () => {
    const g2 = stock('shanghai', 100, { grade: 'grade_2' });
    const g1 = stock('wuhan', 100, { grade: 'grade_1' });
    const premium = stock('beijing', 100, { grade: 'premium' });
    expect(plan(route([line(10, { minGrade: 'grade_1' })], [g2, g1, premium])).allocations[0].subLotId).toBe(g1.subLotId);
    expect(plan(route([line(10, { minGrade: 'premium' })], [g2, g1, premium])).allocations[0].subLotId).toBe(premium.subLotId);
    expect(plan(route([line(10, { minGrade: 'grade_2' })], [g2, g1, premium])).allocations[0].subLotId).toBe(g2.subLotId);
    expect(route([line(10, { minGrade: 'premium' })], [g2, g1])).toMatchObject({ outcome: 'reject' });
  });

  it('takes the sub-lot that expires first (FEFO) and splits exactly in grams', () => {
    const later = stock('shanghai', 10, { bestBefore: new Date(NOW.getTime() + 60 * DAY) });
    const sooner = stock('shanghai', 0.333, { bestBefore: new Date(NOW.getTime() + 30 * DAY) });
    const d = plan(route([line(1.5)], [later, sooner]));
    expect(d.allocations.map((a) => [a.subLotId, a.grams])).toEqual(
      [
        [sooner.subLotId, 333],
        [later.subLotId, 1167],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(d.shipments).toHaveLength(1);
  });

  it('takes a line from many sub-lots in FEFO order, then the nearer warehouse, then by id', () => {
    // 40 sub-lots of 1 kg in a shuffled order, five expiry days; a line of 23 kg takes the 23 first.
    const network = Array.from({ length: 40 }, (_, i) => {
      const k = (i * 17) % 40;
      return stock(k % 2 ? 'shanghai' : 'hangzhou', 1, { warehouseId: 'WH-EAST', subLotId: `SL-${String(k).padStart(2, '0')}`, bestBefore: new Date(NOW.getTime() + (30 + (k % 5)) * DAY) });
    });
    const expected = [...network]
      .sort((a, b) => a.bestBefore.getTime() - b.bestBefore.getTime() || a.subLotId.localeCompare(b.subLotId))
      .slice(0, 23)
      .map((p) => p.subLotId)
      .sort();
    const d = plan(route([line(23)], network));
    expect(d.allocations.map((a) => a.subLotId)).toEqual(expected);
    expect(d.allocations.every((a) => a.grams === 1000)).toBe(true);

    // Same expiry: the nearer warehouse's sub-lot first, whatever the ids say.
    const near = stock('shanghai', 5, { subLotId: 'SL-Z' });
    const far = stock('beijing', 5, { subLotId: 'SL-A' });
    expect(plan(route([line(5)], [far, near], 'shanghai', { ...policy, maxShipments: 1 })).allocations).toEqual([
      expect.objectContaining({ subLotId: 'SL-Z', grams: 5000 }),
    ]);
  });

  it('judges shelf life from where each position is, not from its warehouse’s first one', () => {
    // One warehouse id, two places: fruit good for 3 days qualifies near Guangzhou, not 1,900 km away.
    const fresh = { produce: 'passion_fruit', grade: 'jumbo', warehouseId: 'WH-MOVING', bestBefore: new Date(NOW.getTime() + 3 * DAY) };
    const here = stock('guangzhou', 5, fresh);
    const there = stock('beijing', 50, fresh);
    const ask = [line(10, { produce: 'passion_fruit', minGrade: 'medium' })];
    expect(route(ask, [here, there], 'guangzhou')).toMatchObject({ outcome: 'backorder' });
    // Seen first from far away with a long life, the warehouse's place does not decide for the fresh fruit here.
    const lasting = stock('beijing', 5, { ...fresh, bestBefore: new Date(NOW.getTime() + 30 * DAY) });
    expect(plan(route(ask, [lasting, here], 'guangzhou')).allocations.map((a) => a.grams)).toEqual([5000, 5000]);
  });

  it('shares a sub-lot between lines without promising it twice', () => {
    const only = stock('shanghai', 10);
    expect(route([line(6), line(6)], [only, stock('beijing', 0, { availableGrams: 0, onHandGrams: 20_000 })])).toMatchObject({
      outcome: 'backorder',
    });
    const d = plan(route([line(6), line(4)], [only]));
    expect(d.allocations.map((a) => a.grams)).toEqual([6000, 4000]);
  });

  it('serves lines of different produce from the warehouses that hold them', () => {
    const apples = stock('shanghai', 100);
    const fruit = stock('guangzhou', 100, { produce: 'passion_fruit', grade: 'jumbo', bestBefore: new Date(NOW.getTime() + 20 * DAY) });
    const d = plan(route([line(10), line(5, { produce: 'passion_fruit', minGrade: 'medium' })], [apples, fruit]));
    expect(d.shipments.map((s) => s.warehouseId).sort()).toEqual(['WH-GUANGZHOU', 'WH-SHANGHAI']);
    expect(d.allocations.map((a) => a.line)).toEqual([0, 1]);
  });

  it('rejects what can never be served and backorders what cannot be served now', () => {
    const held = stock('shanghai', 100, { availableGrams: 0 });
    expect(route([line(10, { produce: 'durian' })], [held])).toEqual({ outcome: 'reject', reason: expect.stringContaining('unknown produce'), onStock: false });
    expect(route([line(10, { minGrade: 'superb' })], [held])).toEqual({ outcome: 'reject', reason: expect.stringContaining('not a grade'), onStock: false });
    expect(route([line(150)], [held])).toEqual({ outcome: 'reject', reason: expect.stringContaining('whole network holds 100 kg'), onStock: true });
    expect(route([line(10)], [held])).toMatchObject({ outcome: 'backorder' });
  });

  it('does not split over more warehouses than allowed', () => {
    const network = [stock('shanghai', 10), stock('wuhan', 10), stock('beijing', 10)];
    expect(route([line(25)], network, 'hangzhou', { ...policy, maxShipments: 2 })).toMatchObject({ outcome: 'backorder' });
    expect(plan(route([line(25)], network)).shipments).toHaveLength(3);
  });

  it('estimates transit from great-circle distance, road speed and handling', () => {
    const km = distanceKm(PLACES.hangzhou, PLACES.beijing);
    expect(km).toBeGreaterThan(1100);
    expect(km).toBeLessThan(1160);
    expect(transitHours(PLACES.beijing, PLACES.hangzhou, { roadSpeedKmh: 60, handlingHours: 12 })).toBeCloseTo(km / 60 + 12, 6);
    const d = plan(route([line(1)], [stock('beijing', 5)]));
    expect(d.shipments[0].eta.getTime() - NOW.getTime()).toBeCloseTo((km / 60 + 12) * 3_600_000, -3);
  });
});

describe('grade order', () => {
  it('is configuration', () => {
    const order = parseGradeOrder('apple:premium>grade_1>grade_2;passion_fruit:jumbo>large>medium');
    expect(order).toEqual(DEFAULT_GRADE_ORDER);
    expect(formatGradeOrder(order)).toBe('apple:premium>grade_1>grade_2;passion_fruit:jumbo>large>medium');
    expect(gradeAtLeast(order, 'passion_fruit', 'jumbo', 'large')).toBe(true);
    expect(gradeAtLeast(order, 'passion_fruit', 'medium', 'large')).toBe(false);
    expect(gradeAtLeast(order, 'apple', 'jumbo', 'grade_2')).toBe(false);
    expect(() => parseGradeOrder('apple premium')).toThrow();
  });
});
