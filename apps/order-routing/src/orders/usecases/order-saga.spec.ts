import type { ConfigService } from '@nestjs/config';
import {
  ConfirmReservationV1,
  OrderBackorderedV1,
  OrderCancelledV1,
  OrderRoutedV1,
  ReleaseReservationV1,
  type ReservationLapsedV1,
  type ReservationRejectedV1,
  type ReservationReleasedV1,
  ReserveStockV1,
  type StockReservedV1,
} from '@firstmile/contracts';
import { OrderRoutingEnv } from '../../order-routing.env';
import type { PriceListVersion } from '../../prices/price-book';
import type { PriceList } from '../../prices/price-list.schema';
import type { PricesRepository } from '../../prices/prices.repository';
import { PricesService } from '../../prices/prices.service';
import { RoutingSettings } from '../../routing.settings';
import type { StockPosition } from '../../stock-view/stock-position.schema';
import { StockHolds } from '../../stock-view/stock-holds';
import type { StockViewRepository } from '../../stock-view/stock-view.repository';
import { StockViewService } from '../../stock-view/stock-view.service';
import { cancelAnswered, cancelRequested, onLapsed, shipmentLeft } from '../order-saga';
import { view } from '../order-view';
import { OrdersRepository, type OrderChange, type OrderRecord } from '../orders.repository';
import { waitFor } from '@firstmile/testing';
import { routedChange } from '../order-saga';
import { AnswerReservation } from './answer-reservation';
import { CancelOrder } from './cancel-order';
import type { ReadOrders } from './read-orders';
import { RouteOrder } from './route-order';

const HANGZHOU = { lat: 30.27, lon: 120.16 };

/** Orders in memory, with the store's compare-and-set on `rev`; `log` keeps the calls in order. */
class MemoryOrders {
  readonly docs = new Map<string, OrderRecord>();
  readonly log: string[] = [];
  readonly written: Array<{ id: string; change: OrderChange }> = [];
  /** Orders whose next write loses to a concurrent one (their rev moves first). */
  readonly raced = new Set<string>();
  /** The repository's own batch step, over these reads and writes. */
  readonly decideAll = OrdersRepository.prototype.decideAll;

  async findById(id: string): Promise<OrderRecord | null> {
    this.log.push(`read ${id}`);
    const o = this.docs.get(id);
    return o ? structuredClone(o) : null;
  }

  async backordered(limit: number, produce?: string[]): Promise<string[]> {
    return [...this.docs.values()]
      .filter((o) => o.status === 'backordered' && (!produce || o.lines.some((l) => produce.includes(l.produce))))
      .slice(0, limit)
      .map((o) => o._id);
  }

  async findMany(ids: string[]): Promise<OrderRecord[]> {
    this.log.push(`read ${ids.join(' ')}`);
    return ids.flatMap((id) => (this.docs.has(id) ? [structuredClone(this.docs.get(id) as OrderRecord)] : []));
  }

  async writeAll(changes: Array<{ order: OrderRecord; change: OrderChange }>): Promise<boolean[]> {
    if (changes.length === 0) return [];
    this.log.push(`write ${changes.map((c) => c.order._id).join(' ')}`);
    return changes.map((c) => this.apply(c.order, c.change));
  }

  async write(order: OrderRecord, change: OrderChange): Promise<boolean> {
    this.log.push(`write ${order._id}`);
    return this.apply(order, change);
  }

  private apply(order: OrderRecord, change: OrderChange): boolean {
    const current = this.docs.get(order._id);
    if (current && this.raced.delete(order._id)) current.rev++;
    if (!current || current.rev !== order.rev) return false;
    // `$set` semantics: a dotted path sets a field of a sub-document.
    for (const [path, value] of Object.entries(change.set)) {
      const keys = path.split('.');
      const last = keys.pop() as string;
      let at = current as unknown as Record<string, Record<string, unknown>>;
      for (const k of keys) at = at[k] as unknown as Record<string, Record<string, unknown>>;
      (at as Record<string, unknown>)[last] = value;
    }
    current.rev++;
    this.written.push({ id: order._id, change });
    return true;
  }

  async transition(id: string, decide: (o: OrderRecord) => Promise<OrderChange | null> | OrderChange | null): Promise<boolean> {
    for (;;) {
      const o = await this.findById(id);
      if (!o) return false;
      const change = await decide(o);
      if (!change) return false;
      if (await this.write(o, change)) return true;
    }
  }
}

/** Price lists in memory; `reads` counts the store reads routing makes for them. */
class MemoryPrices {
  readonly docs = new Map<string, PriceList>();
  reads = 0;
  async versions(produce: string[]): Promise<Map<string, number>> {
    this.reads++;
    return new Map(produce.flatMap((p) => (this.docs.has(p) ? [[p, (this.docs.get(p) as PriceList).version]] : [])));
  }
  async findMany(produce: string[]): Promise<PriceList[]> {
    this.reads++;
    return produce.flatMap((p) => (this.docs.has(p) ? [structuredClone(this.docs.get(p) as PriceList)] : []));
  }
  set(produce: string, v: Omit<PriceListVersion, 'currency' | 'setBy' | 'setAt'>): void {
    const doc = this.docs.get(produce) ?? { _id: produce, version: 0, versions: [] };
    doc.versions.push({ ...v, currency: 'CNY', setBy: 'ops', setAt: v.effectiveAt });
    doc.version = v.version;
    this.docs.set(produce, doc);
  }
}
const pricesOf = (repo = new MemoryPrices()) => new PricesService(repo as unknown as PricesRepository);

const order = (id: string, quantityKg: number): OrderRecord => ({
  _id: id,
  buyerId: 'BUY-1',
  channel: 'livestream',
  destination: { city: 'Hangzhou', location: HANGZHOU },
  lines: [{ produce: 'apple', minGrade: 'grade_2', quantityKg }],
  status: 'received',
  attempt: 0,
  allocations: [],
  reservations: {},
  shipments: [],
  shipmentStatus: {},
  rev: 0,
  placedAt: new Date(),
  updatedAt: new Date(),
});

const position = (availableKg: number): StockPosition => ({
  _id: 'DC-HANGZHOU|SUB-1',
  warehouseId: 'DC-HANGZHOU',
  warehouseLocation: HANGZHOU,
  subLotId: 'SUB-1',
  lotId: 'LOT-1',
  produce: 'apple',
  variety: 'Fuji',
  grade: 'grade_1',
  brand: null,
  traceCode: 'TC-1',
  bestBefore: new Date(Date.now() + 60 * 86_400_000),
  onHandKg: availableKg,
  reservedKg: 0,
  availableKg,
  version: 1,
  updatedAt: new Date(),
});

describe('RouteOrder: first attempts that arrive together are routed in one step', () => {
  let orders: MemoryOrders;
  let prices: MemoryPrices;
  let service: RouteOrder;

  beforeEach(() => {
    const env = new OrderRoutingEnv();
    const settings = new RoutingSettings({ get: (k: keyof OrderRoutingEnv) => env[k] } as unknown as ConfigService<OrderRoutingEnv, true>);
    const view = { holding: async () => [position(10)] } as unknown as StockViewRepository;
    orders = new MemoryOrders();
    prices = new MemoryPrices();
    service = new RouteOrder(orders as unknown as OrdersRepository, new StockViewService(view, new StockHolds(settings), { caughtUp: async () => true }), settings, pricesOf(prices));
  });

  it('reads them at once, decides them in turn on the stock the earlier ones hold, then writes them at once', async () => {
    orders.docs.set('ORD-A', order('ORD-A', 10));
    orders.docs.set('ORD-B', order('ORD-B', 10));

    await Promise.all([service.route('ORD-A'), service.route('ORD-B')]);

    expect(orders.log).toEqual(['read ORD-A ORD-B', 'write ORD-A ORD-B']);
    const [a, b] = orders.written;
    // Only 10 kg for two orders of 10 kg: the first holds it, so the second waits for stock.
    expect(a.change.set).toMatchObject({ attempt: 1 });
    expect(a.change.events.map((e) => e.type)).toEqual([ReserveStockV1.type]);
    expect(b.change.set).toMatchObject({ status: 'backordered' });
    expect(b.change.events.map((e) => e.type)).toEqual([OrderBackorderedV1.type]);
  });

  it('prices each allocation at the list in force for its grade, brand and channel, read once for the batch', async () => {
    prices.set('apple', {
      version: 1,
      effectiveAt: new Date(Date.now() - 60_000),
      entries: [
        { grade: 'grade_1', brand: null, channel: null, fenPerKg: 900 },
        { grade: 'grade_1', brand: null, channel: 'livestream', fenPerKg: 1250 },
      ],
    });
    // A list that takes effect tomorrow changes nothing today.
    prices.set('apple', { version: 2, effectiveAt: new Date(Date.now() + 86_400_000), entries: [{ grade: 'grade_1', brand: null, channel: null, fenPerKg: 1 }] });
    orders.docs.set('ORD-A', order('ORD-A', 3.333));
    orders.docs.set('ORD-B', { ...order('ORD-B', 2), channel: 'wholesale' });

    await Promise.all([service.route('ORD-A'), service.route('ORD-B')]);

    const allocations = (id: string) => orders.written.find((w) => w.id === id)?.change.set['allocations'];
    // 3.333 kg × 12.50 = 41.6625 → 41.66; 2 kg × 9.00 = 18.00
    expect(allocations('ORD-A')).toEqual([expect.objectContaining({ quantityKg: 3.333, unitPriceFen: 1250, amountFen: 4166, priceListVersion: 1 })]);
    expect(allocations('ORD-B')).toEqual([expect.objectContaining({ quantityKg: 2, unitPriceFen: 900, amountFen: 1800, priceListVersion: 1 })]);
    // One read of the versions and one of the lists for the whole batch, not one per order.
    expect(prices.reads).toBe(2);

    // Once routed, the order.routed event carries the prices, the channel and the total.
    const routed = routedChange(orders.docs.get('ORD-A') as OrderRecord, {}, new Date()).events[0];
    expect(routed.type).toBe(OrderRoutedV1.type);
    expect(routed.data).toMatchObject({ channel: 'livestream', currency: 'CNY', totalFen: 4166, allocations: [{ unitPriceFen: 1250, amountFen: 4166, priceListVersion: 1 }] });
  });

  it('leaves an allocation unpriced (null) when no price applies', async () => {
    orders.docs.set('ORD-A', order('ORD-A', 1));
    await service.route('ORD-A');
    expect(orders.written[0].change.set['allocations']).toEqual([expect.objectContaining({ unitPriceFen: null, amountFen: null })]);
  });

  it('routes an order again on its own when it changed between the read and the write, and frees what it held', async () => {
    orders.docs.set('ORD-A', order('ORD-A', 10));
    orders.docs.set('ORD-B', order('ORD-B', 10));
    orders.raced.add('ORD-A');

    await Promise.all([service.route('ORD-A'), service.route('ORD-B')]);

    // A lost its write, so its hold went; B's decision, made while A held the stock, stands. A is
    // read and decided again on its own and takes the stock it no longer holds.
    expect(orders.log).toEqual(['read ORD-A ORD-B', 'write ORD-A ORD-B', 'read ORD-A', 'write ORD-A']);
    expect(orders.docs.get('ORD-B')).toMatchObject({ status: 'backordered' });
    expect(orders.docs.get('ORD-A')).toMatchObject({ status: 'received', attempt: 1 });
  });

  it('fails the orders of a step whose write fails, and routes them when they come again', async () => {
    orders.docs.set('ORD-A', order('ORD-A', 1));
    orders.docs.set('ORD-B', order('ORD-B', 1));
    const writeAll = orders.writeAll.bind(orders);
    orders.writeAll = async () => Promise.reject(new Error('store down'));

    const failed = await Promise.allSettled([service.route('ORD-A'), service.route('ORD-B')]);
    expect(failed).toEqual([
      { status: 'rejected', reason: new Error('store down') },
      { status: 'rejected', reason: new Error('store down') },
    ]);
    expect(orders.docs.get('ORD-A')).toMatchObject({ attempt: 0 });

    // Redelivered (a retry topic): both are routed, each on the stock the failed step no longer holds.
    orders.writeAll = writeAll;
    await Promise.all([service.route('ORD-A'), service.route('ORD-B')]);
    expect(orders.docs.get('ORD-A')).toMatchObject({ attempt: 1 });
    expect(orders.docs.get('ORD-B')).toMatchObject({ attempt: 1 });
  });
});

describe('AnswerReservation: reservations held are answered a batch at a time', () => {
  let orders: MemoryOrders;
  let service: AnswerReservation;
  const applied: number[] = [];

  beforeEach(() => {
    const env = new OrderRoutingEnv();
    const settings = new RoutingSettings({ get: (k: keyof OrderRoutingEnv) => env[k] } as unknown as ConfigService<OrderRoutingEnv, true>);
    const view = { holding: async () => [position(10)], applyAll: async (items: unknown[]) => void applied.push(items.length) } as unknown as StockViewRepository;
    orders = new MemoryOrders();
    service = new AnswerReservation(orders as unknown as OrdersRepository, new StockViewService(view, new StockHolds(settings), { caughtUp: async () => true }));
  });

  const awaiting = (id: string, reservations: string[]): OrderRecord => ({
    ...order(id, reservations.length),
    attempt: 1,
    allocations: reservations.map((reservationId, line) => ({
      line,
      warehouseId: 'DC-HANGZHOU',
      warehouseLocation: HANGZHOU,
      subLotId: 'SUB-1',
      quantityKg: 1,
      reservationId,
      shipmentId: `SHP-${id}`,
      mustLastUntil: new Date(),
    })),
    reservations: Object.fromEntries(reservations.map((r) => [r, 'pending'])),
  });
  const held = (orderId: string, reservationId: string) => ({ command: { orderId, reservationId, warehouseId: 'DC-HANGZHOU', subLotId: 'SUB-1' } as StockReservedV1 });

  it('reads the batch\'s orders at once and writes them at once; an order with several answers takes them in turn, in one write', async () => {
    orders.docs.set('ORD-A', awaiting('ORD-A', ['RSV-A1']));
    orders.docs.set('ORD-C', awaiting('ORD-C', ['RSV-C1']));
    orders.docs.set('ORD-B', awaiting('ORD-B', ['RSV-B1', 'RSV-B2']));

    const failed = await service.reservedAll([held('ORD-A', 'RSV-A1'), held('ORD-B', 'RSV-B1'), held('ORD-C', 'RSV-C1'), held('ORD-B', 'RSV-B2')]);

    expect(failed.size).toBe(0);
    expect(applied).toEqual([4]); // the stock view took the batch in one write
    expect(orders.log).toEqual(['read ORD-A ORD-B ORD-C', 'write ORD-A ORD-B ORD-C']);
    for (const id of ['ORD-A', 'ORD-B', 'ORD-C']) expect(orders.docs.get(id)).toMatchObject({ status: 'routed' });
    // ORD-B's second answer was decided on the order as its first left it: both held, so routed.
    const routedB = orders.written.filter((w) => w.id === 'ORD-B');
    expect(routedB).toHaveLength(1);
    expect(routedB[0].change.set).toMatchObject({ 'reservations.RSV-B1': 'reserved', 'reservations.RSV-B2': 'reserved', status: 'routed' });
    expect(routedB[0].change.events.map((e) => e.type)).toEqual([OrderRoutedV1.type, ConfirmReservationV1.type, ConfirmReservationV1.type]);
    expect(orders.docs.get('ORD-B')?.reservations).toEqual({ 'RSV-B1': 'reserved', 'RSV-B2': 'reserved' });
  });

  it('answers an order that changed between the read and the write on its own, and a redelivered answer changes nothing', async () => {
    orders.docs.set('ORD-A', awaiting('ORD-A', ['RSV-A1']));
    orders.raced.add('ORD-A');

    await service.reservedAll([held('ORD-A', 'RSV-A1')]);
    expect(orders.log).toEqual(['read ORD-A', 'write ORD-A', 'read ORD-A', 'write ORD-A']);
    expect(orders.docs.get('ORD-A')).toMatchObject({ status: 'routed' });

    await service.reservedAll([held('ORD-A', 'RSV-A1')]);
    expect(orders.log.slice(4)).toEqual(['read ORD-A']);
    expect(orders.written.filter((w) => w.id === 'ORD-A')).toHaveLength(1);
  });
});

describe('OrdersRepository.decideAll: an order\'s answers of one batch', () => {
  const note = (tag: string): OrderChange => ({ set: { [`shipmentStatus.${tag}`]: 'seen' }, events: [] });

  it('decides them in turn, each on the order as the one before left it, and writes them as one change', async () => {
    const orders = new MemoryOrders();
    orders.docs.set('ORD-A', order('ORD-A', 1));
    const seen: string[][] = [];
    const { failed, changed } = await orders.decideAll(['a1', 'a2', 'a3'], () => 'ORD-A', (o, a) => {
      seen.push(Object.keys(o.shipmentStatus));
      return a === 'a2' ? null : note(a);
    });
    expect(failed.size).toBe(0);
    expect([...changed]).toEqual(['a1', 'a3']);
    expect(seen).toEqual([[], ['a1'], ['a1']]);
    expect(orders.log).toEqual(['read ORD-A', 'write ORD-A']);
    expect(orders.docs.get('ORD-A')?.shipmentStatus).toEqual({ a1: 'seen', a3: 'seen' });
  });

  it('fails an answer whose decision throws and writes the others of its order', async () => {
    const orders = new MemoryOrders();
    orders.docs.set('ORD-A', order('ORD-A', 1));
    const refusal = new Error('not now');
    const { failed, changed } = await orders.decideAll(['a1', 'a2'], () => 'ORD-A', (_o, a) => {
      if (a === 'a1') throw refusal;
      return note(a);
    });
    expect([...failed]).toEqual([['a1', refusal]]);
    expect([...changed]).toEqual(['a2']);
    expect(orders.log).toEqual(['read ORD-A', 'write ORD-A']);
  });

  it('takes them one at a time when their changes cannot be one $set (a field and a field inside it)', async () => {
    const orders = new MemoryOrders();
    orders.docs.set('ORD-A', order('ORD-A', 1));
    const { changed } = await orders.decideAll(['whole', 'part'], () => 'ORD-A', (o, a) =>
      a === 'whole' ? (o.shipmentStatus['x'] ? null : { set: { shipmentStatus: { x: 'created' } }, events: [] }) : o.shipmentStatus['y'] ? null : note('y'),
    );
    expect([...changed].sort()).toEqual(['part', 'whole']);
    expect(orders.log).toEqual(['read ORD-A', 'read ORD-A', 'write ORD-A', 'read ORD-A', 'write ORD-A']);
    expect(orders.docs.get('ORD-A')?.shipmentStatus).toEqual({ x: 'created', y: 'seen' });
  });
});

describe('RouteOrder: "more than the network holds" is decided only on a current view', () => {
  const setup = (...answers: boolean[]) => {
    const env = new OrderRoutingEnv();
    const settings = new RoutingSettings({ get: (k: keyof OrderRoutingEnv) => env[k] } as unknown as ConfigService<OrderRoutingEnv, true>);
    // The view holds 10 kg until it merges in the store, where another replica applied 100 kg more.
    let stored = [position(10)];
    const view = { holding: async () => stored, refresh: async () => void (stored = [position(110)]) } as unknown as StockViewRepository;
    const orders = new MemoryOrders();
    const service = new RouteOrder(orders as unknown as OrdersRepository, new StockViewService(view, new StockHolds(settings), { caughtUp: async () => answers.shift() ?? false }), settings, pricesOf());
    return { orders, service };
  };

  it('waits (backordered) rather than refusing while the view lags the warehouse, and decides again once it has caught up', async () => {
    const { orders, service } = setup(false, true);
    orders.docs.set('ORD-HUGE', order('ORD-HUGE', 500));
    await service.route('ORD-HUGE');
    expect(orders.docs.get('ORD-HUGE')).toMatchObject({ status: 'backordered', reason: expect.stringContaining('as far as this service has heard yet') });
    // The view catches up in the background (the second answer): the order is decided again, and refused.
    await waitFor(() => orders.docs.get('ORD-HUGE')?.status === 'rejected', { what: 'the order refused once the view caught up', timeoutMs: 2_000, intervalMs: 10 });
    expect(orders.docs.get('ORD-HUGE')?.reason).toContain('whole network holds 110 kg');
  });

  it('decides again on the refreshed view once it is current, and refuses only what that view cannot serve', async () => {
    const { orders, service } = setup(true, true);
    orders.docs.set('ORD-BIG', order('ORD-BIG', 50));
    orders.docs.set('ORD-HUGE', order('ORD-HUGE', 500));
    await Promise.all([service.route('ORD-BIG'), service.route('ORD-HUGE')]);
    expect(orders.docs.get('ORD-BIG')).toMatchObject({ status: 'received', attempt: 1 });
    expect(orders.docs.get('ORD-HUGE')).toMatchObject({ status: 'rejected', reason: expect.stringContaining('whole network holds 110 kg') });
  });
});

/** An order routed on the given reservations (confirmed at the warehouse), one shipment per warehouse. */
const routed = (id: string, reservations: Array<{ id: string; warehouseId?: string; kg?: number }>): OrderRecord => {
  const allocations = reservations.map((r, line) => ({
    line,
    warehouseId: r.warehouseId ?? 'DC-HANGZHOU',
    warehouseLocation: HANGZHOU,
    subLotId: 'SUB-1',
    quantityKg: r.kg ?? 1,
    reservationId: r.id,
    shipmentId: `SHP-${id}-${r.warehouseId ?? 'DC-HANGZHOU'}`,
    mustLastUntil: new Date(),
  }));
  return {
    ...order(id, allocations.reduce((s, a) => s + a.quantityKg, 0)),
    status: 'routed',
    attempt: 1,
    allocations,
    reservations: Object.fromEntries(reservations.map((r) => [r.id, 'reserved'])),
    shipments: [...new Set(allocations.map((a) => a.shipmentId))],
    shipmentStatus: Object.fromEntries(allocations.map((a) => [a.shipmentId, 'created'])),
  };
};

/** A change's `$set` applied to a copy of the order, as the store would. */
const applied = (o: OrderRecord, change: OrderChange | null): OrderRecord => {
  const next = structuredClone(o) as unknown as Record<string, unknown>;
  for (const [path, value] of Object.entries(change?.set ?? {})) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let at = next;
    for (const k of keys) at = at[k] as Record<string, unknown>;
    at[last] = value;
  }
  return next as unknown as OrderRecord;
};

describe('the order saga: a cancellation the warehouse can refuse', () => {
  const now = new Date();

  it('cancels an order that holds nothing confirmed at once, and makes a routed one a request, one release per reservation', () => {
    const waiting = { ...order('ORD-W', 1), status: 'backordered' as const };
    expect(cancelRequested(waiting, 'changed my mind', now)?.set).toMatchObject({ status: 'cancelled' });

    const o = routed('ORD-R', [{ id: 'R1' }, { id: 'R2', warehouseId: 'DC-SHANGHAI' }]);
    const change = cancelRequested(o, 'changed my mind', now);
    expect(change?.set).toMatchObject({ status: 'cancelling', 'reservations.R1': 'releasing', 'reservations.R2': 'releasing' });
    // Not cancelled yet: no order.cancelled until the warehouse has answered.
    expect(change?.events.map((e) => e.type)).toEqual([ReleaseReservationV1.type, ReleaseReservationV1.type]);
    // Asking again while it is under way changes nothing.
    expect(cancelRequested(applied(o, change), undefined, now)).toBeNull();
  });

  it('ends cancelled when every release is answered released, with one order.cancelled', () => {
    let o = routed('ORD-C', [{ id: 'R1' }, { id: 'R2', warehouseId: 'DC-SHANGHAI' }]);
    o = applied(o, cancelRequested(o, 'changed my mind', now));
    const first = cancelAnswered(o, 'R1', 'released', now);
    expect(first).toEqual({ set: { 'reservations.R1': 'released' }, events: [] });
    o = applied(o, first);
    expect(cancelAnswered(o, 'R1', 'released', now)).toBeNull(); // a redelivery
    const last = cancelAnswered(o, 'R2', 'released', now);
    expect(last?.set).toMatchObject({ status: 'cancelled', allocations: [], reason: 'changed my mind' });
    expect(last?.events.map((e) => e.type)).toEqual([OrderCancelledV1.type]);
  });

  it('answers several releases of one order in one batch in turn, in one write: cancelled once', async () => {
    const orders = new MemoryOrders();
    const o = routed('ORD-M', [{ id: 'R1' }, { id: 'R2', warehouseId: 'DC-SHANGHAI' }]);
    orders.docs.set('ORD-M', applied(o, cancelRequested(o, 'changed my mind', now)));
    const cancel = new CancelOrder(orders as unknown as OrdersRepository, {} as ReadOrders);
    const released = (reservationId: string) => ({ command: { orderId: 'ORD-M', reservationId, reason: 'requested' } as ReservationReleasedV1 });

    const failed = await cancel.releasedAll([released('R1'), released('R2')], now);

    expect(failed.size).toBe(0);
    expect(orders.log).toEqual(['read ORD-M', 'write ORD-M']);
    expect(orders.docs.get('ORD-M')).toMatchObject({ status: 'cancelled', reservations: { R1: 'released', R2: 'released' } });
    expect(orders.written[0].change.events.map((e) => e.type)).toEqual([OrderCancelledV1.type]);
  });

  it('ends routed with only what had left when the warehouse refuses a release: one true state, not cancelled', () => {
    let o = routed('ORD-D', [{ id: 'R1' }, { id: 'R2', warehouseId: 'DC-SHANGHAI' }]);
    o = applied(o, cancelRequested(o, undefined, now));
    o = applied(o, cancelAnswered(o, 'R1', 'dispatched', now));
    const last = cancelAnswered(o, 'R2', 'released', now);
    expect(last?.set).toMatchObject({
      status: 'routed',
      allocations: [expect.objectContaining({ reservationId: 'R1' })],
      shipments: ['SHP-ORD-D-DC-HANGZHOU'],
      cancelRefused: expect.stringContaining('SHP-ORD-D-DC-HANGZHOU had left the warehouse; the rest was released'),
    });
    expect(last?.events).toEqual([]);
    expect(view(applied(o, last))).toMatchObject({ status: 'routed', cancelRefused: expect.stringContaining('had left') });
  });

  it('lets a carrier exception before the dispatch not count as the stock having left', () => {
    const o = routed('ORD-E', [{ id: 'R1' }]);
    expect(shipmentLeft({ ...o, shipmentStatus: { 'SHP-ORD-E-DC-HANGZHOU': 'exception' } })).toBeUndefined();
    expect(shipmentLeft({ ...o, shipmentStatus: { 'SHP-ORD-E-DC-HANGZHOU': 'in_transit' } })).toEqual(['SHP-ORD-E-DC-HANGZHOU', 'in_transit']);
  });
});

describe('the order saga: a reservation that lapsed before the order confirmed it', () => {
  const now = new Date();

  it('routes a routed order again; a cancelling one takes it as released; anything else changes nothing', () => {
    const o = routed('ORD-L', [{ id: 'R1' }, { id: 'R2' }]);
    expect(onLapsed(o, 'R1', now)).toBe('reroute');
    expect(onLapsed({ ...o, reservations: { ...o.reservations, R1: 'lapsed' } }, 'R1', now)).toBeNull(); // a redelivery
    expect(onLapsed({ ...o, allocations: [] }, 'R1', now)).toBeNull(); // an attempt over already
    expect(onLapsed({ ...o, shipmentStatus: { 'SHP-ORD-L-DC-HANGZHOU': 'dispatched' } }, 'R1', now)).toBe('stuck');
    const cancelling = applied(o, cancelRequested(o, undefined, now));
    expect(onLapsed(cancelling, 'R1', now)).toEqual({ set: { 'reservations.R1': 'released' }, events: [] });
  });

  it('ends the attempt (releasing what it still holds, not the lapsed one) and routes it again in one bulk write per batch', async () => {
    const env = new OrderRoutingEnv();
    const settings = new RoutingSettings({ get: (k: keyof OrderRoutingEnv) => env[k] } as unknown as ConfigService<OrderRoutingEnv, true>);
    const view = { holding: async () => [position(10)] } as unknown as StockViewRepository;
    const orders = new MemoryOrders();
    const service = new RouteOrder(orders as unknown as OrdersRepository, new StockViewService(view, new StockHolds(settings), { caughtUp: async () => true }), settings, pricesOf());
    orders.docs.set('ORD-A', routed('ORD-A', [{ id: 'RA1' }, { id: 'RA2' }]));
    orders.docs.set('ORD-B', routed('ORD-B', [{ id: 'RB1' }]));
    const lapse = (orderId: string, reservationId: string) => ({
      command: { orderId, reservationId, shipmentId: `SHP-${orderId}-DC-HANGZHOU`, warehouseId: 'DC-HANGZHOU', subLotId: 'SUB-1', quantityKg: 1, reason: 'expired', releasedAt: now.toISOString(), lapsedAt: now.toISOString() } as ReservationLapsedV1,
    });

    const failed = await service.lapsedAll([lapse('ORD-A', 'RA1'), lapse('ORD-B', 'RB1')]);

    expect(failed.size).toBe(0);
    expect(orders.log).toEqual(['read ORD-A ORD-B', 'write ORD-A ORD-B']);
    const a = orders.docs.get('ORD-A') as OrderRecord;
    expect(a).toMatchObject({ status: 'received', attempt: 1, shipments: [] });
    expect(a.reservations).toMatchObject({ RA1: 'lapsed', RA2: 'released' });
    const changeA = orders.written.find((w) => w.id === 'ORD-A')?.change;
    const released = changeA?.events.filter((e) => e.type === ReleaseReservationV1.type).map((e) => (e.data as ReleaseReservationV1).reservationId);
    expect(released).toEqual(['RA2']);
    expect(changeA?.events.filter((e) => e.type === ReserveStockV1.type)).toHaveLength(1);
    expect(orders.docs.get('ORD-B')).toMatchObject({ status: 'received', shipments: [] });

    // Redelivered: nothing changes.
    await service.lapsedAll([lapse('ORD-A', 'RA1')]);
    expect(orders.written.filter((w) => w.id === 'ORD-A')).toHaveLength(1);
  });
});

describe('RouteOrder: reservations the warehouse refused are answered a batch at a time', () => {
  const now = new Date();
  /** An order of attempt 1 waiting for the answers to its reservations. */
  const waiting = (id: string, reservations: string[]): OrderRecord => {
    const o = routed(id, reservations.map((r) => ({ id: r })));
    return { ...o, status: 'received', shipments: [], shipmentStatus: {}, reservations: Object.fromEntries(reservations.map((r) => [r, 'pending'])) };
  };
  const refusal = (orderId: string, reservationId: string, version: number) => ({
    command: {
      orderId,
      reservationId,
      warehouseId: 'DC-HANGZHOU',
      subLotId: 'SUB-1',
      quantityKg: 1,
      reason: 'insufficient_stock',
      stock: { onHandKg: 10, reservedKg: 10 - version, availableKg: version, version },
      rejectedAt: now.toISOString(),
    } as ReservationRejectedV1,
  });

  it('takes the figures in one write, ends each attempt and routes it again, one read and one write for the batch', async () => {
    const env = new OrderRoutingEnv();
    const settings = new RoutingSettings({ get: (k: keyof OrderRoutingEnv) => env[k] } as unknown as ConfigService<OrderRoutingEnv, true>);
    const levels: unknown[][] = [];
    // 2 kg left: A's new attempt takes them, and B, decided after it, must see them held.
    const view = { holding: async () => [position(2)], applyLevels: async (l: unknown[]) => void levels.push(l) } as unknown as StockViewRepository;
    const orders = new MemoryOrders();
    const service = new RouteOrder(orders as unknown as OrdersRepository, new StockViewService(view, new StockHolds(settings), { caughtUp: async () => true }), settings, pricesOf());
    orders.docs.set('ORD-A', waiting('ORD-A', ['RA1', 'RA2']));
    orders.docs.set('ORD-B', waiting('ORD-B', ['RB1']));

    // Both of A's reservations refused in the same batch, and B's.
    const failed = await service.rejectedAll([refusal('ORD-A', 'RA1', 3), refusal('ORD-B', 'RB1', 2), refusal('ORD-A', 'RA2', 4)]);

    expect(failed.size).toBe(0);
    expect(levels).toHaveLength(1);
    expect(orders.log).toEqual(['read ORD-A ORD-B', 'write ORD-A ORD-B']);
    const a = orders.docs.get('ORD-A') as OrderRecord;
    // The first refusal ended attempt 1 (RA2 abandoned) and routed A again; the second finds RA2 abandoned.
    expect(a).toMatchObject({ status: 'received', attempt: 2 });
    expect(a.reservations).toMatchObject({ RA1: 'rejected', RA2: 'rejected' });
    expect(a.allocations.map((x) => x.reservationId)).not.toContain('RA1');
    const reserves = (id: string) => orders.written.find((w) => w.id === id)?.change.events.filter((e) => e.type === ReserveStockV1.type) ?? [];
    expect(reserves('ORD-A')).toHaveLength(1);
    expect(a.allocations.reduce((kg, x) => kg + x.quantityKg, 0)).toBe(2);
    // B was decided on the stock A's new attempt holds: nothing left, so it waits for stock.
    expect(orders.docs.get('ORD-B')).toMatchObject({ status: 'backordered', allocations: [] });
    expect(orders.docs.get('ORD-B')?.reservations).toMatchObject({ RB1: 'rejected' });

    // Redelivered: nothing changes.
    await service.rejectedAll([refusal('ORD-A', 'RA1', 3), refusal('ORD-B', 'RB1', 2)]);
    expect(orders.written).toHaveLength(2);
  });
});
