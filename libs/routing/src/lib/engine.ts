import { toKg } from '@firstmile/contracts';
import { distanceKm, type GeoPoint } from './geo';
import { gradeAtLeast, gradeRank, type GradeOrder } from './grades';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** How routing weighs the network. Every number is configuration. */
export interface RoutingPolicy {
  gradeOrder: GradeOrder;
  /** Average road speed over the great-circle distance, km/h. */
  roadSpeedKmh: number;
  /** Picking, packing and hand-over time added to every shipment, hours. */
  handlingHours: number;
  /** Days the fruit must still be good after it arrives. */
  shelfLifeMarginDays: number;
  /** Most warehouses (shipments) one order may be split over. */
  maxShipments: number;
  /** Bound on warehouse combinations examined per shipment count, so a large network stays fast. */
  maxCombinations?: number;
}

export const DEFAULT_POLICY: Omit<RoutingPolicy, 'gradeOrder'> = {
  roadSpeedKmh: 60,
  handlingHours: 12,
  shelfLifeMarginDays: 2,
  maxShipments: 4,
  maxCombinations: 5000,
};

/** A sub-lot's stock at one warehouse, as the router's own view knows it. */
export interface StockPosition {
  warehouseId: string;
  warehouseLocation: GeoPoint;
  subLotId: string;
  produce: string;
  grade: string;
  brand: string | null;
  bestBefore: Date;
  onHandGrams: number;
  /** What can be promised now: warehouse figure minus holds the router already asked for. */
  availableGrams: number;
}

export interface LineRequest {
  produce: string;
  minGrade: string;
  brand?: string;
  grams: number;
}

export interface RoutingRequest {
  lines: LineRequest[];
  destination: GeoPoint;
  now: Date;
}

export interface PlannedAllocation {
  line: number;
  warehouseId: string;
  subLotId: string;
  grams: number;
  /** The day the stock must still be good: arrival plus the margin. */
  mustLastUntil: Date;
}

export interface PlannedShipment {
  warehouseId: string;
  transitHours: number;
  eta: Date;
}

export type RoutingDecision =
  | { outcome: 'plan'; allocations: PlannedAllocation[]; shipments: PlannedShipment[]; totalTransitHours: number }
  /** Nothing can serve now; stock may arrive later. */
  | { outcome: 'backorder'; reason: string }
  /**
   * Nothing ever could: unknown produce or grade (`onStock` false), or more than the whole network
   * holds (`onStock` true: only as true as the stock it was judged on is current).
   */
  | { outcome: 'reject'; reason: string; onStock: boolean };

/** Hours from a warehouse to a destination: great-circle distance at road speed, plus handling. */
export function transitHours(from: GeoPoint, to: GeoPoint, policy: Pick<RoutingPolicy, 'roadSpeedKmh' | 'handlingHours'>): number {
  return distanceKm(from, to) / policy.roadSpeedKmh + policy.handlingHours;
}

/** The date by which stock shipped now from `from` must still be good at `to`. */
export function mustLastUntil(from: GeoPoint, to: GeoPoint, now: Date, policy: RoutingPolicy): Date {
  return new Date(now.getTime() + transitHours(from, to, policy) * HOUR_MS + policy.shelfLifeMarginDays * DAY_MS);
}

/** Produce, grade and brand: what a line asks of a sub-lot regardless of where it is. */
export function matchesLine(p: Pick<StockPosition, 'produce' | 'grade' | 'brand'>, line: LineRequest, order: GradeOrder): boolean {
  return (
    p.produce === line.produce &&
    gradeAtLeast(order, line.produce, p.grade, line.minGrade) &&
    (line.brand === undefined || p.brand === line.brand)
  );
}

interface Candidate {
  position: StockPosition;
  /** Line indexes this position may serve from where it is. */
  lines: readonly number[];
  mustLastUntil: Date;
}

interface WarehouseOption {
  warehouseId: string;
  transitHours: number;
  candidates: Candidate[];
}

interface Plan {
  allocations: PlannedAllocation[];
  warehouses: WarehouseOption[];
  totalTransitHours: number;
  /** Expiry dates of what the plan takes, earliest first: the FEFO tie-breaker. */
  expiries: number[];
}

/**
 * Routes one order over a stock view. Eligible sub-lots have the line's produce, a grade at least
 * its `minGrade`, its brand when one is asked, and still `shelfLifeMarginDays` of life when they
 * arrive. Among feasible plans: fewest shipments (warehouses), then shortest total transit, then
 * the plan that takes the sub-lots expiring first (FEFO).
 */
export function routeOrder(request: RoutingRequest, stock: readonly StockPosition[], policy: RoutingPolicy): RoutingDecision {
  const { lines, now } = request;
  const order = policy.gradeOrder;

  for (const [i, line] of lines.entries()) {
    if (!order[line.produce]) return { outcome: 'reject', reason: `line ${i}: unknown produce ${line.produce}`, onStock: false };
    if (gradeRank(order, line.produce, line.minGrade) === undefined) {
      return { outcome: 'reject', reason: `line ${i}: ${line.minGrade} is not a grade of ${line.produce} (${order[line.produce].join(', ')})`, onStock: false };
    }
  }
  const matches = lineMatcher(lines, order);
  // "Never" is judged against everything the network holds, reserved or not: held stock may come back.
  const held = lines.map(() => 0);
  for (const p of stock) for (const i of matches(p)) held[i] += p.onHandGrams;
  for (const [i, line] of lines.entries()) {
    const asked = lines.reduce((g, l) => (sameAsk(l, line) ? g + l.grams : g), 0);
    if (asked > held[i]) {
      return { outcome: 'reject', reason: `line ${i}: ${toKg(asked)} kg asked; the whole network holds ${toKg(held[i])} kg that qualifies`, onStock: true };
    }
  }

  const options = warehouseOptions(request, stock, policy, matches);
  const unserved = lines.findIndex((_, i) => !options.some((w) => w.candidates.some((c) => c.lines.includes(i))));
  if (unserved >= 0) {
    return { outcome: 'backorder', reason: `line ${unserved}: no warehouse has qualifying stock available with enough shelf life left on arrival` };
  }

  const maxK = Math.min(policy.maxShipments, options.length);
  const cap = policy.maxCombinations ?? DEFAULT_POLICY.maxCombinations ?? 5000;
  for (let k = 1; k <= maxK; k++) {
    let best: Plan | undefined;
    let examined = 0;
    for (const combo of combinations(options, k)) {
      if (++examined > cap) break;
      const plan = allocate(lines, combo);
      if (plan && (!best || better(plan, best))) best = plan;
    }
    if (best) {
      const shipments = best.warehouses
        .filter((w) => best.allocations.some((a) => a.warehouseId === w.warehouseId))
        .map((w) => ({ warehouseId: w.warehouseId, transitHours: w.transitHours, eta: new Date(now.getTime() + w.transitHours * HOUR_MS) }));
      return {
        outcome: 'plan',
        allocations: best.allocations,
        shipments,
        totalTransitHours: shipments.reduce((h, s) => h + s.transitHours, 0),
      };
    }
  }
  return {
    outcome: 'backorder',
    reason: `no combination of up to ${maxK} warehouse(s) has enough qualifying stock available now`,
  };
}

const sameAsk = (a: LineRequest, b: LineRequest) => a.produce === b.produce && a.minGrade === b.minGrade && a.brand === b.brand;

/**
 * The lines a position may serve by produce, grade and brand (`matchesLine`), remembered per
 * produce, grade and brand: a stock view holds thousands of positions and a handful of kinds.
 */
function lineMatcher(lines: readonly LineRequest[], order: GradeOrder): (p: Pick<StockPosition, 'produce' | 'grade' | 'brand'>) => readonly number[] {
  const known = new Map<string, Map<string, Map<string | null, number[]>>>();
  return (p) => {
    let byGrade = known.get(p.produce);
    if (!byGrade) known.set(p.produce, (byGrade = new Map()));
    let byBrand = byGrade.get(p.grade);
    if (!byBrand) byGrade.set(p.grade, (byBrand = new Map()));
    let matched = byBrand.get(p.brand);
    if (!matched) byBrand.set(p.brand, (matched = lines.flatMap((line, i) => (matchesLine(p, line, order) ? [i] : []))));
    return matched;
  };
}

/**
 * Warehouses with at least one position that can serve a line, nearest first. Transit and the
 * shelf life a position needs depend on its warehouse's place only, so they are computed once per
 * warehouse (again for a position whose place differs from its warehouse's first one).
 */
function warehouseOptions(
  request: RoutingRequest,
  stock: readonly StockPosition[],
  policy: RoutingPolicy,
  matches: (p: StockPosition) => readonly number[],
): WarehouseOption[] {
  const byWarehouse = new Map<string, WarehouseOption & { at: GeoPoint; until: Date }>();
  for (const position of stock) {
    if (position.availableGrams <= 0) continue;
    const lines = matches(position);
    if (lines.length === 0) continue;
    let option = byWarehouse.get(position.warehouseId);
    const at = position.warehouseLocation;
    const until = option && option.at.lat === at.lat && option.at.lon === at.lon ? option.until : mustLastUntil(at, request.destination, request.now, policy);
    if (position.bestBefore.getTime() < until.getTime()) continue;
    if (!option) {
      option = { warehouseId: position.warehouseId, transitHours: transitHours(at, request.destination, policy), candidates: [], at, until };
      byWarehouse.set(position.warehouseId, option);
    }
    option.candidates.push({ position, lines, mustLastUntil: until });
  }
  return [...byWarehouse.values()]
    .map(({ warehouseId, transitHours, candidates }) => ({ warehouseId, transitHours, candidates }))
    .sort((a, b) => a.transitHours - b.transitHours || a.warehouseId.localeCompare(b.warehouseId));
}

/**
 * Fills every line from one set of warehouses, or says it cannot. The most constrained line goes
 * first (a sub-lot may qualify for several lines); within a line, the sub-lot expiring first.
 */
function allocate(lines: LineRequest[], warehouses: WarehouseOption[]): Plan | undefined {
  const transit = new Map(warehouses.map((w) => [w.warehouseId, w.transitHours]));
  const candidates = warehouses.flatMap((w) => w.candidates);
  const capacities = lines.map(() => 0);
  for (const c of candidates) for (const i of c.lines) capacities[i] += c.position.availableGrams;
  // Cheap rejection before any allocation: each line alone must fit.
  if (lines.some((l, i) => capacities[i] < l.grams)) return undefined;

  // What a candidate has left once this plan took from it (untouched: all it has).
  const taken = new Map<Candidate, number>();
  const left = (c: Candidate) => taken.get(c) ?? c.position.availableGrams;
  const allocations: Array<PlannedAllocation & { bestBefore: number }> = [];
  const order = lines.map((_, i) => i).sort((a, b) => capacities[a] - lines[a].grams - (capacities[b] - lines[b].grams) || a - b);
  // Within a line: the sub-lot expiring first, then the nearer warehouse, then by id.
  const first = (a: Candidate, b: Candidate) =>
    a.position.bestBefore.getTime() - b.position.bestBefore.getTime() ||
    (transit.get(a.position.warehouseId) ?? 0) - (transit.get(b.position.warehouseId) ?? 0) ||
    a.position.subLotId.localeCompare(b.position.subLotId);
  for (const i of order) {
    let need = lines[i].grams;
    for (const c of inOrder(
      candidates.filter((c) => c.lines.includes(i) && left(c) > 0),
      first,
    )) {
      if (need === 0) break;
      const take = Math.min(need, left(c));
      taken.set(c, left(c) - take);
      need -= take;
      allocations.push({ line: i, warehouseId: c.position.warehouseId, subLotId: c.position.subLotId, grams: take, mustLastUntil: c.mustLastUntil, bestBefore: c.position.bestBefore.getTime() });
    }
    if (need > 0) return undefined;
  }
  allocations.sort((a, b) => a.line - b.line || a.warehouseId.localeCompare(b.warehouseId) || a.subLotId.localeCompare(b.subLotId));
  const used = warehouses.filter((w) => allocations.some((a) => a.warehouseId === w.warehouseId));
  return {
    allocations: allocations.map(({ bestBefore: _, ...a }) => a),
    warehouses: used,
    totalTransitHours: used.reduce((h, w) => h + w.transitHours, 0),
    expiries: allocations.map((a) => a.bestBefore).sort((a, b) => a - b),
  };
}

/** Picked one by one before sorting the rest: a line is mostly filled from its first few sub-lots. */
const PICKS_BEFORE_SORTING = 8;

/**
 * `items` in the order of `compare`, as a stable sort gives them, produced lazily: the first few by
 * picking the least of what is left (a sort of thousands of positions for the one or two a line
 * takes was most of routing's time), the rest, if asked for, by sorting them.
 */
function* inOrder<T>(items: T[], compare: (a: T, b: T) => number): Generator<T> {
  for (let picked = 0; picked < PICKS_BEFORE_SORTING && items.length > 0; picked++) {
    let least = 0;
    for (let j = 1; j < items.length; j++) if (compare(items[j], items[least]) < 0) least = j;
    yield items[least];
    items.splice(least, 1);
  }
  yield* items.sort(compare);
}

const EPSILON_HOURS = 1e-9;

function better(a: Plan, b: Plan): boolean {
  if (a.warehouses.length !== b.warehouses.length) return a.warehouses.length < b.warehouses.length;
  if (Math.abs(a.totalTransitHours - b.totalTransitHours) > EPSILON_HOURS) return a.totalTransitHours < b.totalTransitHours;
  for (let i = 0; i < Math.min(a.expiries.length, b.expiries.length); i++) {
    if (a.expiries[i] !== b.expiries[i]) return a.expiries[i] < b.expiries[i];
  }
  return false;
}

/** k-combinations of the items, in order. */
function* combinations<T>(items: readonly T[], k: number, start = 0, prefix: T[] = []): Generator<T[]> {
  if (prefix.length === k) {
    yield [...prefix];
    return;
  }
  for (let i = start; i <= items.length - (k - prefix.length); i++) {
    prefix.push(items[i]);
    yield* combinations(items, k, i + 1, prefix);
    prefix.pop();
  }
}
