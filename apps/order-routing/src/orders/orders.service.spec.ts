import type { ConfigService } from '@nestjs/config';
import { OrderBackorderedV1, ReserveStockV1 } from '@firstmile/contracts';
import { OrderRoutingEnv } from '../order-routing.env';
import { RoutingSettings } from '../routing.settings';
import type { StockPosition } from '../stock/stock-position.schema';
import { StockHolds } from '../stock/stock-holds';
import type { StockRepository } from '../stock/stock.repository';
import { StockService } from '../stock/stock.service';
import type { OrderChange, OrderRecord, OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';

const HANGZHOU = { lat: 30.27, lon: 120.16 };

/** Orders in memory, with the store's compare-and-set on `rev`; `log` keeps the calls in order. */
class MemoryOrders {
  readonly docs = new Map<string, OrderRecord>();
  readonly log: string[] = [];
  readonly written: Array<{ id: string; change: OrderChange }> = [];
  /** Orders whose next write loses to a concurrent one (their rev moves first). */
  readonly raced = new Set<string>();

  async findById(id: string): Promise<OrderRecord | null> {
    this.log.push(`read ${id}`);
    const o = this.docs.get(id);
    return o ? structuredClone(o) : null;
  }

  async write(order: OrderRecord, change: OrderChange): Promise<boolean> {
    this.log.push(`write ${order._id}`);
    const current = this.docs.get(order._id);
    if (current && this.raced.delete(order._id)) current.rev++;
    if (!current || current.rev !== order.rev) return false;
    Object.assign(current, change.set, { rev: current.rev + 1 });
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

describe('OrdersService: first attempts that arrive together are routed in one step', () => {
  let orders: MemoryOrders;
  let service: OrdersService;

  beforeEach(() => {
    const env = new OrderRoutingEnv();
    const settings = new RoutingSettings({ get: (k: keyof OrderRoutingEnv) => env[k] } as unknown as ConfigService<OrderRoutingEnv, true>);
    const view = { holding: async () => [position(10)] } as unknown as StockRepository;
    orders = new MemoryOrders();
    service = new OrdersService(orders as unknown as OrdersRepository, new StockService(view, new StockHolds(settings)), settings);
  });

  it('reads them at once, decides them in turn on the stock the earlier ones hold, then writes them at once', async () => {
    orders.docs.set('ORD-A', order('ORD-A', 10));
    orders.docs.set('ORD-B', order('ORD-B', 10));

    await Promise.all([service.route('ORD-A'), service.route('ORD-B')]);

    expect(orders.log).toEqual(['read ORD-A', 'read ORD-B', 'write ORD-A', 'write ORD-B']);
    const [a, b] = orders.written;
    // Only 10 kg for two orders of 10 kg: the first holds it, so the second waits for stock.
    expect(a.change.set).toMatchObject({ attempt: 1 });
    expect(a.change.events.map((e) => e.type)).toEqual([ReserveStockV1.type]);
    expect(b.change.set).toMatchObject({ status: 'backordered' });
    expect(b.change.events.map((e) => e.type)).toEqual([OrderBackorderedV1.type]);
  });

  it('routes an order again on its own when it changed between the read and the write, and frees what it held', async () => {
    orders.docs.set('ORD-A', order('ORD-A', 10));
    orders.docs.set('ORD-B', order('ORD-B', 10));
    orders.raced.add('ORD-A');

    await Promise.all([service.route('ORD-A'), service.route('ORD-B')]);

    // A lost its write, so its hold went; B's decision, made while A held the stock, stands. A is
    // read and decided again on its own and takes the stock it no longer holds.
    expect(orders.log).toEqual(['read ORD-A', 'read ORD-B', 'write ORD-A', 'write ORD-B', 'read ORD-A', 'write ORD-A']);
    expect(orders.docs.get('ORD-B')).toMatchObject({ status: 'backordered' });
    expect(orders.docs.get('ORD-A')).toMatchObject({ status: 'received', attempt: 1 });
  });

  it('answers each order for itself: one that fails to write fails alone', async () => {
    orders.docs.set('ORD-A', order('ORD-A', 1));
    orders.docs.set('ORD-B', order('ORD-B', 1));
    const write = orders.write.bind(orders);
    orders.write = async (o, change) => (o._id === 'ORD-A' ? Promise.reject(new Error('store down')) : write(o, change));

    const [a, b] = await Promise.allSettled([service.route('ORD-A'), service.route('ORD-B')]);

    expect(a).toMatchObject({ status: 'rejected', reason: new Error('store down') });
    expect(b).toEqual({ status: 'fulfilled', value: undefined });
    expect(orders.docs.get('ORD-B')).toMatchObject({ attempt: 1 });
  });
});
