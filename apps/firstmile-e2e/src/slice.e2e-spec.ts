import { randomUUID } from 'node:crypto';
import { waitFor } from '@firstmile/testing';
import { client, startStack, type Stack } from './stack';

interface SubLot {
  id: string;
  grade: string;
  quantityKg: number;
  brand: string | null;
  traceCode: string;
  bestBefore: string;
}
interface StockItem {
  subLotId: string;
  lotId: string;
  grade: string;
  brand: string | null;
  onHandKg: number;
  reservedKg: number;
  availableKg: number;
}
interface Order {
  id: string;
  status: string;
  allocations: Array<{ line: number; warehouseId: string; subLotId: string; quantityKg: number }>;
  shipments: string[];
  reason?: string;
}

const sum = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * 1000) / 1000;

/**
 * The thin vertical slice across the four running services, over HTTP only:
 * a lot is logged, graded into branded sub-lots, received as stock, and an order is routed to it.
 */
describe('one lot flowing through all four services', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('slice');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('logs, grades, stocks and routes: quantities agree everywhere', async () => {
    const ops = client(stack, { role: 'ops', sub: 'ops-e2e' });
    const coop = await ops.post<{ id: string }>('harvest-intake', '/v1/cooperatives', {
      name: 'Lixian Hongtu Apple Cooperative',
      county: 'CN-GS-LIXIAN',
      province: 'Gansu',
      location: { lat: 34.19, lon: 105.18 },
    });
    expect(coop.status).toBe(201);
    const manager = client(stack, { role: 'coop_manager', coop: coop.body.id, sub: 'manager-e2e' });
    const grower = await manager.post<{ id: string }>('harvest-intake', `/v1/cooperatives/${coop.body.id}/growers`, { name: 'Wang Jianguo', phone: '+86 138 0931 0001' });
    const orchard = await manager.post<{ id: string }>('harvest-intake', `/v1/cooperatives/${coop.body.id}/orchards`, {
      growerId: grower.body.id,
      name: 'Yanguan south slope',
      areaMu: 18,
      location: { lat: 34.13, lon: 105.12 },
      produce: 'apple',
      variety: 'Fuji',
    });
    expect([grower.status, orchard.status]).toEqual([201, 201]);

    // 1. The cooperative logs a harvest lot.
    const lot = await manager.post<{ id: string; status: string; quantityKg: number }>(
      'harvest-intake',
      '/v1/lots',
      {
        cooperativeId: coop.body.id,
        growerId: grower.body.id,
        orchardId: orchard.body.id,
        produce: 'apple',
        variety: 'Fuji',
        harvestedAt: new Date(Date.now() - 86_400_000).toISOString(),
        quantityKg: 1000,
        originWarehouseId: 'WH-LIXIAN-ORIGIN',
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(lot.status).toBe(201);
    expect(lot.body.status).toBe('logged');

    // 2. Grading learns of it from harvest.lots, and the grading line grades it by bands.
    const line = client(stack, { role: 'grading_line', warehouses: ['WH-LIXIAN-ORIGIN'], sub: 'line-e2e' });
    const pending = await waitFor(
      async () => {
        const r = await line.get<{ status: string }>('grading', `/v1/lots/${lot.body.id}/grading`);
        return r.status === 200 ? r.body : undefined;
      },
      { what: 'grading to know the lot' },
    );
    expect(pending.status).toBe('pending');
    const graded = await line.post<{ subLots: SubLot[]; cullKg: number }>('grading', `/v1/lots/${lot.body.id}/grading`, {
      bands: [
        { grade: 'premium', quantityKg: 400 },
        { grade: 'grade_1', quantityKg: 350 },
        { grade: 'grade_2', quantityKg: 200 },
      ],
    });
    expect(graded.status).toBe(201);
    const { subLots, cullKg } = graded.body;
    expect(sum([...subLots.map((s) => s.quantityKg), cullKg])).toBe(1000);
    expect(cullKg).toBe(50);
    const byGrade = Object.fromEntries(subLots.map((s) => [s.grade, s]));
    expect(byGrade['premium'].brand).toMatch(/Lixian Apple/);
    expect(byGrade['grade_1'].brand).toMatch(/Lixian Apple/);
    expect(byGrade['grade_2'].brand).toBeNull();

    // 3. The warehouse receives the sub-lots as stock at the lot's origin warehouse.
    const operator = client(stack, { role: 'warehouse_operator', warehouses: ['WH-LIXIAN-ORIGIN'], sub: 'operator-e2e' });
    const stockOf = async () =>
      (await operator.get<{ items: StockItem[] }>('warehouse', `/v1/warehouses/WH-LIXIAN-ORIGIN/stock?produce=apple`)).body.items.filter(
        (i) => i.lotId === lot.body.id,
      );
    const received = await waitFor(async () => ((await stockOf()).length === 3 ? stockOf() : undefined), { what: 'stock received' });
    expect(sum(received.map((i) => i.onHandKg))).toBe(950);

    // harvest-intake learns the grading outcome too.
    const lotAfter = await waitFor(
      async () => {
        const r = await manager.get<{ status: string; grading?: { cullKg: number; kgByGrade: Record<string, number> } }>('harvest-intake', `/v1/lots/${lot.body.id}`);
        return r.body.status === 'graded' ? r.body : undefined;
      },
      { what: 'lot graded in harvest-intake' },
    );
    expect(lotAfter.grading).toMatchObject({ cullKg: 50, kgByGrade: { premium: 400, grade_1: 350, grade_2: 200 } });

    // 4. A buyer orders branded grade_1-or-better apples for Xi'an; order-routing reserves and routes.
    const buyer = client(stack, { role: 'buyer', buyer: 'BUYER-E2E', sub: 'buyer-e2e' });
    const placed = await buyer.post<Order>(
      'order-routing',
      '/v1/orders',
      {
        channel: 'wholesale',
        destination: { city: "Xi'an", location: { lat: 34.34, lon: 108.94 } },
        lines: [{ produce: 'apple', minGrade: 'grade_1', brand: byGrade['grade_1'].brand, quantityKg: 300 }],
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(placed.status).toBe(202);
    expect(placed.body.status).toBe('received');
    const order = await waitFor(
      async () => {
        const r = await buyer.get<Order>('order-routing', `/v1/orders/${placed.body.id}`);
        return r.body.status !== 'received' ? r.body : undefined;
      },
      { what: 'order routed' },
    );
    expect(order).toMatchObject({ status: 'routed' });
    expect(sum(order.allocations.map((a) => a.quantityKg))).toBe(300);
    expect(order.shipments).toHaveLength(1);
    for (const a of order.allocations) {
      expect(a.warehouseId).toBe('WH-LIXIAN-ORIGIN');
      expect([byGrade['premium'].id, byGrade['grade_1'].id]).toContain(a.subLotId);
    }

    // The warehouse shows the reservation, and on hand = available + reserved for every sub-lot.
    const stock = await waitFor(
      async () => {
        const items = await stockOf();
        return sum(items.map((i) => i.reservedKg)) === 300 ? items : undefined;
      },
      { what: 'reservation visible in stock' },
    );
    for (const i of stock) expect(sum([i.availableKg, i.reservedKg])).toBe(i.onHandKg);
    for (const a of order.allocations) {
      expect(stock.find((i) => i.subLotId === a.subLotId)?.reservedKg).toBeGreaterThanOrEqual(a.quantityKg);
    }

    // The shipment exists and agrees with the allocation.
    const shipment = await waitFor(
      async () => {
        const r = await buyer.get<{ orderId: string; warehouseId: string; status: string }>('order-routing', `/v1/shipments/${order.shipments[0]}`);
        return r.status === 200 ? r.body : undefined;
      },
      { what: 'shipment created' },
    );
    expect(shipment).toMatchObject({ orderId: order.id, warehouseId: 'WH-LIXIAN-ORIGIN' });
  });
});
