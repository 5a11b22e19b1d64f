import { randomUUID } from 'node:crypto';
import { amountFen, formatFen, gramsOf, kgOf, ORDER_CHANNELS, type OrderChannel } from '@firstmile/contracts';
import { waitFor } from '@firstmile/testing';
import { client, startStack, type Stack } from './stack';

/*
 * A season through the public APIs of the five running services: two counties, three cooperatives,
 * five growers, lots (one voided) graded by bands into branded and unbranded sub-lots, price lists,
 * orders on every channel — delivered (one late), cancelled, dispatched but never delivered, never
 * dispatched — and then what each grower earned and what each county sees, asserted to the fen and
 * the gram against figures worked out here from what the APIs answered.
 */

type Channel = OrderChannel;
interface SubLot {
  id: string;
  grade: string;
  quantityKg: number;
  brand: string | null;
}
interface Allocation {
  line: number;
  warehouseId: string;
  subLotId: string;
  quantityKg: number;
  unitPrice: string | null;
  amount: string | null;
}
interface Order {
  id: string;
  status: string;
  channel: Channel;
  allocations: Allocation[];
  shipments: string[];
  total: { amount: string; currency: string };
}
interface Timeline {
  events: Array<{ status: string; at: string }>;
}

const LIXIAN_BRAND = 'Lixian Apple (礼县苹果)';
const XUNWU_BRAND = 'Xunwu Passion Fruit (寻乌百香果)';
/** [grade, brand, channel, CNY/kg] */
const PRICES: Record<string, Array<[string, string | null, Channel | null, string]>> = {
  apple: [
    ['premium', LIXIAN_BRAND, null, '14.00'],
    ['premium', LIXIAN_BRAND, 'livestream', '16.80'],
    ['grade_1', LIXIAN_BRAND, null, '10.50'],
    ['grade_1', LIXIAN_BRAND, 'wholesale', '8.40'],
    ['premium', null, null, '11.00'],
    ['grade_1', null, null, '8.40'],
    ['grade_2', null, null, '5.20'],
  ],
  passion_fruit: [
    ['jumbo', XUNWU_BRAND, null, '16.00'],
    ['large', XUNWU_BRAND, 'livestream', '13.90'],
    ['large', XUNWU_BRAND, null, '12.00'],
    ['jumbo', null, null, '12.00'],
    ['medium', null, null, '6.00'],
  ],
};

/** The documented rule: brand+channel, brand, then (branded) the unbranded grade on the channel, on any. */
function priceFen(produce: string, grade: string, brand: string | null, channel: Channel): number | null {
  const rows = PRICES[produce] ?? [];
  const find = (b: string | null, c: Channel | null) => rows.find(([g, rb, rc]) => g === grade && rb === b && rc === c);
  const row = find(brand, channel) ?? find(brand, null) ?? (brand ? (find(null, channel) ?? find(null, null)) : undefined);
  if (!row) return null;
  const [yuan, fen = '0'] = row[3].split('.');
  return Number(yuan) * 100 + Number(fen.padEnd(2, '0'));
}

const HOUR = 3_600_000;
const dayOf = (t: string | Date) => new Date(t).toISOString().slice(0, 10);
const oneDecimal = (x: number) => Math.round(x * 10) / 10;

describe('a season: what the farmers earn and what the counties see', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('season');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('settles every grower and sums every county to the fen and the gram', async () => {
    const ops = client(stack, { role: 'ops', sub: 'ops-season' });
    const now = Date.now();
    const harvestedAt = new Date(now - 6 * HOUR).toISOString();

    // ---- cooperatives, growers, orchards ----
    const coops = [
      { key: 'A', name: 'Lixian Hongtu Apple Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu', produce: 'apple', variety: 'Fuji', growers: ['Wang Jianguo', 'Li Xiuying'], warehouse: 'WH-LIXIAN-ORIGIN' },
      { key: 'B', name: 'Lixian Yanguan Orchards Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu', produce: 'apple', variety: 'Fuji', growers: ['Zhao Min'], warehouse: 'WH-LIXIAN-ORIGIN' },
      { key: 'C', name: 'Xunwu Green Valley Passion Fruit Cooperative', county: 'CN-JX-XUNWU', province: 'Jiangxi', produce: 'passion_fruit', variety: 'Purple', growers: ['Chen Meiling', 'Liu Fang'], warehouse: 'WH-XUNWU-ORIGIN' },
      // Outside any passion fruit brand program: its fruit is what the Xunwu brand is measured against.
      { key: 'D', name: 'Deqing Hillside Fruit Cooperative', county: 'CN-GD-DEQING', province: 'Guangdong', produce: 'passion_fruit', variety: 'Purple', growers: ['Huang Wei'], warehouse: 'WH-DEQING-ORIGIN' },
    ];
    const coopIds: Record<string, string> = {};
    const growers: Array<{ id: string; name: string; coop: string; orchard: string }> = [];
    for (const c of coops) {
      const created = await ops.post<{ id: string }>('harvest-intake', '/v1/cooperatives', { name: c.name, county: c.county, province: c.province, location: { lat: 30, lon: 110 } });
      expect(created.status).toBe(201);
      coopIds[c.key] = created.body.id;
      const manager = client(stack, { role: 'coop_manager', coop: created.body.id, sub: `manager-${c.key}` });
      for (const name of c.growers) {
        const g = await manager.post<{ id: string }>('harvest-intake', `/v1/cooperatives/${created.body.id}/growers`, { name });
        const o = await manager.post<{ id: string }>('harvest-intake', `/v1/cooperatives/${created.body.id}/orchards`, {
          growerId: g.body.id,
          name: `${name}'s orchard`,
          areaMu: 10,
          location: { lat: 30, lon: 110 },
          produce: c.produce,
          variety: c.variety,
        });
        expect([g.status, o.status]).toEqual([201, 201]);
        growers.push({ id: g.body.id, name, coop: c.key, orchard: o.body.id });
      }
    }
    const coopOf = (key: string) => coops.find((c) => c.key === key) as (typeof coops)[number];

    // ---- lots, graded by bands (one voided) ----
    const plan: Array<{ grower: number; kg: number; bands?: Array<[string, number]> }> = [
      { grower: 0, kg: 1000, bands: [['premium', 400], ['grade_1', 350], ['grade_2', 200]] },
      { grower: 1, kg: 600, bands: [['premium', 200], ['grade_1', 250], ['grade_2', 100]] },
      { grower: 2, kg: 800, bands: [['premium', 300], ['grade_1', 300], ['grade_2', 150]] },
      { grower: 2, kg: 300 }, // voided
      { grower: 3, kg: 500, bands: [['jumbo', 150], ['large', 200], ['medium', 100]] },
      { grower: 4, kg: 400.25, bands: [['jumbo', 100], ['large', 150.125], ['medium', 120]] },
      { grower: 5, kg: 300, bands: [['jumbo', 120], ['large', 100], ['medium', 60]] },
    ];
    const lots: Array<{ id: string; grower: (typeof growers)[number]; kg: number; voided: boolean; subLots: SubLot[]; cullKg: number }> = [];
    for (const p of plan) {
      const grower = growers[p.grower];
      const c = coopOf(grower.coop);
      const manager = client(stack, { role: 'coop_manager', coop: coopIds[c.key], sub: `manager-${c.key}` });
      const lot = await manager.post<{ id: string }>(
        'harvest-intake',
        '/v1/lots',
        { cooperativeId: coopIds[c.key], growerId: grower.id, orchardId: grower.orchard, produce: c.produce, variety: c.variety, harvestedAt, quantityKg: p.kg, originWarehouseId: c.warehouse },
        { 'idempotency-key': randomUUID() },
      );
      expect(lot.status).toBe(201);
      if (!p.bands) {
        expect((await manager.post('harvest-intake', `/v1/lots/${lot.body.id}/void`, { reason: 'logged against the wrong orchard' })).status).toBe(200);
        lots.push({ id: lot.body.id, grower, kg: p.kg, voided: true, subLots: [], cullKg: 0 });
        continue;
      }
      const line = client(stack, { role: 'grading_line', warehouses: [c.warehouse], sub: `line-${c.key}` });
      await waitFor(async () => ((await line.get('grading', `/v1/lots/${lot.body.id}/grading`)).status === 200 ? true : undefined), { what: `grading to know ${lot.body.id}` });
      const graded = await line.post<{ subLots: SubLot[]; cullKg: number }>('grading', `/v1/lots/${lot.body.id}/grading`, {
        bands: p.bands.map(([grade, quantityKg]) => ({ grade, quantityKg })),
      });
      expect(graded.status).toBe(201);
      lots.push({ id: lot.body.id, grower, kg: p.kg, voided: false, subLots: graded.body.subLots, cullKg: graded.body.cullKg });
    }
    const subLots = new Map(lots.flatMap((l) => l.subLots.map((s) => [s.id, { ...s, lot: l }] as const)));
    expect([...subLots.values()].filter((s) => s.brand === LIXIAN_BRAND).map((s) => s.grade).sort()).toEqual(['grade_1', 'grade_1', 'grade_1', 'premium', 'premium', 'premium']);
    expect([...subLots.values()].filter((s) => s.brand === XUNWU_BRAND).map((s) => s.grade).sort()).toEqual(['jumbo', 'jumbo', 'large', 'large']);

    // Stock at the origin warehouses.
    const origins = ['WH-LIXIAN-ORIGIN', 'WH-XUNWU-ORIGIN', 'WH-DEQING-ORIGIN'];
    const operator = client(stack, { role: 'warehouse_operator', warehouses: origins, sub: 'operator-season' });
    await waitFor(
      async () => {
        let n = 0;
        for (const w of origins) n += (await operator.get<{ items: unknown[] }>('warehouse', `/v1/warehouses/${w}/stock?limit=500`)).body.items.length;
        return n === subLots.size ? true : undefined;
      },
      { what: 'every sub-lot in stock' },
    );

    // ---- prices ----
    for (const [produce, rows] of Object.entries(PRICES)) {
      const put = await ops.put('order-routing', `/v1/prices/${produce}`, {
        currency: 'CNY',
        entries: rows.map(([grade, brand, channel, pricePerKg]) => ({ grade, brand, ...(channel ? { channel } : {}), pricePerKg })),
      });
      expect(put.status).toBe(200);
    }

    // ---- orders on every channel ----
    const buyer = client(stack, { role: 'buyer', buyer: 'BUYER-SEASON', sub: 'buyer-season' });
    const city = (name: string, lat: number, lon: number) => ({ city: name, location: { lat, lon } });
    const HANGZHOU = city('Hangzhou', 30.27, 120.15);
    const SHANGHAI = city('Shanghai', 31.23, 121.47);
    const XIAN = city("Xi'an", 34.34, 108.94);
    const GUANGZHOU = city('Guangzhou', 23.13, 113.26);
    const BEIJING = city('Beijing', 39.9, 116.4);
    const SHENZHEN = city('Shenzhen', 22.54, 114.06);
    const CHENGDU = city('Chengdu', 30.57, 104.07);
    type Fate = 'delivered' | 'cancelled' | 'in_transit' | 'not_dispatched';
    const orders: Array<{ channel: Channel; destination: ReturnType<typeof city>; deliverBy?: string; line: Record<string, unknown>; fate: Fate }> = [
      { channel: 'livestream', destination: HANGZHOU, deliverBy: new Date(now + 48 * HOUR).toISOString(), line: { produce: 'apple', minGrade: 'premium', brand: LIXIAN_BRAND, quantityKg: 450.5 }, fate: 'delivered' },
      { channel: 'marketplace', destination: SHANGHAI, line: { produce: 'apple', minGrade: 'grade_2', quantityKg: 80 }, fate: 'delivered' },
      // Promised an hour ago: delivered late.
      { channel: 'wholesale', destination: XIAN, deliverBy: new Date(now - HOUR).toISOString(), line: { produce: 'apple', minGrade: 'grade_1', brand: LIXIAN_BRAND, quantityKg: 300 }, fate: 'delivered' },
      { channel: 'retail', destination: BEIJING, line: { produce: 'passion_fruit', minGrade: 'jumbo', brand: XUNWU_BRAND, quantityKg: 180.333 }, fate: 'delivered' },
      { channel: 'retail', destination: GUANGZHOU, line: { produce: 'passion_fruit', minGrade: 'jumbo', quantityKg: 80 }, fate: 'delivered' },
      { channel: 'livestream', destination: GUANGZHOU, deliverBy: new Date(now + 24 * HOUR).toISOString(), line: { produce: 'passion_fruit', minGrade: 'large', quantityKg: 90 }, fate: 'delivered' },
      { channel: 'marketplace', destination: SHENZHEN, line: { produce: 'passion_fruit', minGrade: 'medium', quantityKg: 60 }, fate: 'delivered' },
      { channel: 'wholesale', destination: HANGZHOU, line: { produce: 'apple', minGrade: 'premium', quantityKg: 100 }, fate: 'cancelled' },
      { channel: 'retail', destination: CHENGDU, line: { produce: 'apple', minGrade: 'grade_1', brand: LIXIAN_BRAND, quantityKg: 40 }, fate: 'in_transit' },
      { channel: 'retail', destination: GUANGZHOU, line: { produce: 'passion_fruit', minGrade: 'medium', quantityKg: 30 }, fate: 'not_dispatched' },
      { channel: 'wholesale', destination: SHANGHAI, line: { produce: 'apple', minGrade: 'premium', brand: LIXIAN_BRAND, quantityKg: 20 }, fate: 'cancelled' },
    ];
    const placed: Array<{ order: Order; fate: Fate; deliverBy?: string; city: string }> = [];
    for (const o of orders) {
      const r = await buyer.post<{ id: string }>('order-routing', '/v1/orders', { channel: o.channel, destination: o.destination, ...(o.deliverBy ? { deliverBy: o.deliverBy } : {}), lines: [o.line] }, { 'idempotency-key': randomUUID() });
      expect(r.status).toBe(202);
      const order = await waitFor(
        async () => {
          const g = await buyer.get<Order>('order-routing', `/v1/orders/${r.body.id}`);
          return g.body.status === 'routed' ? g.body : undefined;
        },
        { what: `order ${r.body.id} routed` },
      );
      placed.push({ order, fate: o.fate, ...(o.deliverBy ? { deliverBy: o.deliverBy } : {}), city: o.destination.city });
    }
    // Each allocation carries the price of its sub-lot's grade and brand on the order's channel.
    for (const { order } of placed) {
      let total = 0;
      for (const a of order.allocations) {
        const s = subLots.get(a.subLotId) as SubLot & { lot: (typeof lots)[number] };
        const produce = coopOf(s.lot.grower.coop).produce;
        const unit = priceFen(produce, s.grade, s.brand, order.channel);
        const amount = unit === null ? null : amountFen(unit, gramsOf(a.quantityKg));
        expect([a.subLotId, a.unitPrice, a.amount]).toEqual([a.subLotId, unit === null ? null : formatFen(unit), amount === null ? null : formatFen(amount)]);
        total += amount ?? 0;
      }
      expect(order.total).toEqual({ amount: formatFen(total), currency: 'CNY' });
    }

    // ---- cancel, dispatch, track, deliver ----
    const logistics = client(stack, { role: 'logistics_operator', sub: 'logistics-season' });
    const timelines = new Map<string, Timeline>();
    for (const p of placed) {
      if (p.fate === 'cancelled') {
        expect((await buyer.post('order-routing', `/v1/orders/${p.order.id}/cancel`, { reason: 'the live stream ended' })).status).toBe(200);
        // A routed order answers `cancelling`; it is cancelled once the warehouse released its stock.
        await waitFor(async () => ((await buyer.get<{ status: string }>('order-routing', `/v1/orders/${p.order.id}`)).body.status === 'cancelled' ? true : undefined), {
          what: `${p.order.id} cancelled`,
        });
        continue;
      }
      if (p.fate === 'not_dispatched') continue;
      for (const shipmentId of p.order.shipments) {
        const warehouseId = p.order.allocations[0].warehouseId;
        await waitFor(async () => ((await operator.post('warehouse', `/v1/warehouses/${warehouseId}/dispatches`, { shipmentId })).status === 201 ? true : undefined), { what: `dispatch of ${shipmentId}` });
        await waitFor(
          async () => ((await logistics.post('order-routing', `/v1/shipments/${shipmentId}/events`, { status: 'in_transit', at: new Date().toISOString() })).status < 300 ? true : undefined),
          { what: `${shipmentId} in transit (once order-routing has heard of the dispatch)` },
        );
        if (p.fate === 'delivered') {
          expect((await logistics.post('order-routing', `/v1/shipments/${shipmentId}/events`, { status: 'delivered', at: new Date().toISOString() })).status).toBeLessThan(300);
        }
        timelines.set(shipmentId, (await logistics.get<Timeline>('order-routing', `/v1/shipments/${shipmentId}`)).body);
      }
    }

    // ---- the expected figures, from what the APIs answered ----
    const from = new Date(now - 24 * HOUR).toISOString();
    const to = new Date(now + 24 * HOUR).toISOString();
    const atOf = (shipmentId: string, status: string) => timelines.get(shipmentId)?.events.find((e) => e.status === status)?.at;
    interface SaleRow { grams: number; fen: number; channel: Channel; orderId: string; city: string; sub: SubLot & { lot: (typeof lots)[number] }; deliveredAt: string }
    const sales: SaleRow[] = [];
    for (const p of placed) {
      if (p.fate !== 'delivered') continue;
      for (const a of p.order.allocations) {
        const sub = subLots.get(a.subLotId) as SaleRow['sub'];
        const shipmentId = p.order.shipments.length === 1 ? p.order.shipments[0] : (p.order.shipments.find((s) => atOf(s, 'delivered')) as string);
        sales.push({ grams: gramsOf(a.quantityKg), fen: a.amount === null ? 0 : Math.round(Number(a.amount) * 100), channel: p.order.channel, orderId: p.order.id, city: p.city, sub, deliveredAt: atOf(shipmentId, 'delivered') as string });
      }
    }
    const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((t, x) => t + f(x), 0);

    const settlementOf = (coopKey: string) => {
      const rows = growers
        .filter((g) => g.coop === coopKey)
        .map((g) => {
          const own = lots.filter((l) => l.grower.id === g.id && !l.voided);
          const gradedKg: Record<string, number> = {};
          for (const l of own) for (const s of l.subLots) gradedKg[s.grade] = kgOf((gradedKg[s.grade] ? gramsOf(gradedKg[s.grade]) : 0) + gramsOf(s.quantityKg));
          const sold = sales.filter((s) => s.sub.lot.grower.id === g.id);
          return {
            growerId: g.id,
            name: g.name,
            harvestedKg: kgOf(sum(own, (l) => gramsOf(l.kg))),
            gradedKg: Object.fromEntries(Object.entries(gradedKg).sort(([a], [b]) => a.localeCompare(b))),
            cullKg: kgOf(sum(own, (l) => gramsOf(l.cullKg))),
            soldKg: kgOf(sum(sold, (s) => s.grams)),
            revenue: formatFen(sum(sold, (s) => s.fen)),
          };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
      return {
        cooperativeId: coopIds[coopKey],
        from,
        to,
        currency: 'CNY',
        growers: rows,
        total: {
          harvestedKg: kgOf(sum(rows, (r) => gramsOf(r.harvestedKg))),
          soldKg: kgOf(sum(rows, (r) => gramsOf(r.soldKg))),
          revenue: formatFen(sum(rows, (r) => Math.round(Number(r.revenue) * 100))),
        },
      };
    };

    const countyOf = (countyId: string, name: string, province: string) => {
      const inCounty = (l: (typeof lots)[number]) => coopOf(l.grower.coop).county === countyId;
      const harvested = lots.filter((l) => inCounty(l) && !l.voided);
      const graded = harvested.flatMap((l) => l.subLots);
      const sold = sales.filter((s) => inCounty(s.sub.lot));
      const byGrade: Record<string, number> = {};
      for (const s of graded) byGrade[s.grade] = kgOf((byGrade[s.grade] ? gramsOf(byGrade[s.grade]) : 0) + gramsOf(s.quantityKg));
      const branded = sum(graded.filter((s) => s.brand), (s) => gramsOf(s.quantityKg));
      const byChannel = Object.fromEntries(
        ORDER_CHANNELS.map((c) => {
          const on = sold.filter((s) => s.channel === c);
          return [c, { orders: new Set(on.map((s) => s.orderId)).size, kg: kgOf(sum(on, (s) => s.grams)), revenue: formatFen(sum(on, (s) => s.fen)) }];
        }),
      );
      const cities = new Map<string, number>();
      for (const s of sold) cities.set(s.city, (cities.get(s.city) ?? 0) + s.grams);
      const premium = new Map<string, { produce: string; grade: string; b: [number, number]; u: [number, number] }>();
      // Branded: this county's; unbranded: every county's (the market the brand is measured against).
      const market = new Map<string, [number, number]>();
      for (const s of sales.filter((x) => !x.sub.brand)) {
        const k = `${coopOf(s.sub.lot.grower.coop).produce}|${s.sub.grade}`;
        const m = market.get(k) ?? [0, 0];
        market.set(k, [m[0] + s.fen, m[1] + s.grams]);
      }
      for (const s of sold) {
        const produce = coopOf(s.sub.lot.grower.coop).produce;
        const k = `${produce}|${s.sub.grade}`;
        const p = premium.get(k) ?? { produce, grade: s.sub.grade, b: [0, 0], u: market.get(k) ?? [0, 0] };
        if (s.sub.brand) {
          p.b[0] += s.fen;
          p.b[1] += s.grams;
        }
        premium.set(k, p);
      }
      const perKg = (fen: number, grams: number) => (grams === 0 ? null : formatFen(Math.floor((fen * 2000 + grams) / (2 * grams))));
      // Shipments of this county's fruit, of orders not cancelled.
      const shipments = new Map<string, { deliverBy?: string; dispatched?: string; delivered?: string }>();
      for (const p of placed) {
        if (p.fate === 'cancelled') continue;
        for (const a of p.order.allocations) {
          if (!inCounty((subLots.get(a.subLotId) as SaleRow['sub']).lot)) continue;
          for (const sh of p.order.shipments) shipments.set(sh, { ...(p.deliverBy ? { deliverBy: p.deliverBy } : {}), dispatched: atOf(sh, 'dispatched'), delivered: atOf(sh, 'delivered') });
        }
      }
      const arrived = [...shipments.values()].filter((s) => s.delivered);
      const promised = arrived.filter((s) => s.deliverBy);
      const hours = arrived.filter((s) => s.dispatched).map((s) => (Date.parse(s.delivered as string) - Date.parse(s.dispatched as string)) / HOUR).sort((a, b) => a - b);
      const med = hours.length === 0 ? null : hours.length % 2 ? hours[hours.length >> 1] : (hours[hours.length / 2 - 1] + hours[hours.length / 2]) / 2;
      const days: string[] = [];
      for (let t = Date.parse(`${dayOf(from)}T00:00:00Z`); t < Date.parse(to); t += 24 * HOUR) days.push(dayOf(new Date(t)));
      const gradedAt = dayOf(new Date()); // graded during this test
      const revenueFen = sum(sold, (s) => s.fen);
      return {
        countyId,
        name,
        province,
        from,
        to,
        currency: 'CNY',
        harvested: {
          kg: kgOf(sum(harvested, (l) => gramsOf(l.kg))),
          lots: harvested.length,
          byProduce: Object.fromEntries([...new Set(harvested.map((l) => coopOf(l.grower.coop).produce))].map((p) => [p, { kg: kgOf(sum(harvested.filter((l) => coopOf(l.grower.coop).produce === p), (l) => gramsOf(l.kg))), lots: harvested.filter((l) => coopOf(l.grower.coop).produce === p).length }])),
        },
        graded: {
          byGrade: Object.fromEntries(Object.entries(byGrade).sort(([a], [b]) => a.localeCompare(b))),
          cullKg: kgOf(sum(harvested, (l) => gramsOf(l.cullKg))),
          brandedKg: kgOf(branded),
          brandedSharePct: oneDecimal((branded * 100) / sum(graded, (s) => gramsOf(s.quantityKg))),
        },
        sales: { orders: new Set(sold.map((s) => s.orderId)).size, kg: kgOf(sum(sold, (s) => s.grams)), revenue: formatFen(revenueFen), byChannel },
        deliveries: {
          shipments: shipments.size,
          delivered: arrived.length,
          onTimePct: promised.length === 0 ? null : oneDecimal((promised.filter((s) => Date.parse(s.delivered as string) <= Date.parse(s.deliverBy as string)).length * 100) / promised.length),
          medianHoursToDeliver: med === null ? null : oneDecimal(med),
        },
        growers: { paid: new Set(sold.filter((s) => s.fen > 0).map((s) => s.sub.lot.grower.id)).size, revenue: formatFen(revenueFen) },
        topDestinations: [...cities.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).slice(0, 5).map(([c, g]) => ({ city: c, kg: kgOf(g) })),
        brandPremium: [...premium.values()]
          .sort((a, b) => a.produce.localeCompare(b.produce) || a.grade.localeCompare(b.grade))
          .map((p) => ({
            produce: p.produce,
            grade: p.grade,
            brandedPerKg: perKg(p.b[0], p.b[1]),
            unbrandedPerKg: perKg(p.u[0], p.u[1]),
            premiumPct: p.b[1] > 0 && p.u[1] > 0 && p.u[0] > 0 ? oneDecimal(((p.b[0] * p.u[1]) / (p.u[0] * p.b[1]) - 1) * 100) : null,
          })),
        daily: days.map((date) => ({
          date,
          harvestedKg: date === dayOf(harvestedAt) ? kgOf(sum(harvested, (l) => gramsOf(l.kg))) : 0,
          gradedKg: date === gradedAt ? kgOf(sum(graded, (s) => gramsOf(s.quantityKg))) : 0,
          soldKg: kgOf(sum(sold.filter((s) => dayOf(s.deliveredAt) === date), (s) => s.grams)),
          revenue: formatFen(sum(sold.filter((s) => dayOf(s.deliveredAt) === date), (s) => s.fen)),
        })),
      };
    };

    // The season's shape, so the figures below are about something: every channel sold, both counties.
    expect(new Set(sales.map((s) => s.channel))).toEqual(new Set(ORDER_CHANNELS));
    expect(sales.length).toBeGreaterThanOrEqual(6);

    // ---- what insights shows, once it has read every stream ----
    const window = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    for (const key of ['A', 'B', 'C', 'D']) {
      const manager = client(stack, { role: 'coop_manager', coop: coopIds[key], sub: `manager-${key}` });
      const expected = settlementOf(key);
      const url = `/v1/cooperatives/${coopIds[key]}/settlements?${window}`;
      await waitFor(async () => (JSON.stringify((await manager.get('insights', url)).body) === JSON.stringify(expected) ? true : undefined), {
        what: `cooperative ${key} settled`,
        timeoutMs: 120_000,
        intervalMs: 1000,
      }).catch(async () => expect((await manager.get('insights', url)).body).toEqual(expected));
    }
    // Nobody was paid for the cancelled or undelivered orders, and the voided lot harvested nothing.
    expect(settlementOf('B').growers[0].harvestedKg).toBe(800);

    // One lot, per sub-lot and channel.
    const lotA = lots[0];
    const managerA = client(stack, { role: 'coop_manager', coop: coopIds['A'], sub: 'manager-A' });
    const lotView = (await managerA.get<{ subLots: Array<{ subLotId: string; soldKg: number; revenue: string; byChannel: Record<string, { kg: number; revenue: string }> }>; soldKg: number; revenue: string }>('insights', `/v1/lots/${lotA.id}/settlement`)).body;
    const lotSales = sales.filter((s) => s.sub.lot.id === lotA.id);
    expect(lotView.soldKg).toBe(kgOf(sum(lotSales, (s) => s.grams)));
    expect(lotView.revenue).toBe(formatFen(sum(lotSales, (s) => s.fen)));
    for (const s of lotView.subLots) {
      for (const c of ORDER_CHANNELS) {
        const on = lotSales.filter((x) => x.sub.id === s.subLotId && x.channel === c);
        expect([s.subLotId, c, s.byChannel[c]]).toEqual([s.subLotId, c, { kg: kgOf(sum(on, (x) => x.grams)), revenue: formatFen(sum(on, (x) => x.fen)) }]);
      }
    }

    const officials = { 'CN-GS-LIXIAN': ['Lixian', 'Gansu'], 'CN-JX-XUNWU': ['Xunwu', 'Jiangxi'], 'CN-GD-DEQING': ['Deqing', 'Guangdong'] } as const;
    // More than one grower paid in each brand county, and the Xunwu brand measured against Deqing's fruit.
    expect(countyOf('CN-GS-LIXIAN', 'Lixian', 'Gansu').growers.paid).toBeGreaterThan(1);
    expect(countyOf('CN-JX-XUNWU', 'Xunwu', 'Jiangxi').brandPremium.find((p) => p.grade === 'jumbo')?.premiumPct).toEqual(expect.any(Number));
    const headlines = (await buyer.get<{ items: Array<{ countyId: string; harvestedKg: number; soldKg: number; revenue: string }> }>('insights', '/v1/counties')).body.items;
    for (const [countyId, [name, province]] of Object.entries(officials)) {
      const official = client(stack, { role: 'county_official', county: countyId, sub: `official-${countyId}` });
      const expected = countyOf(countyId, name, province);
      const url = `/v1/counties/${countyId}/summary?${window}`;
      // A routed order's cancellation ends once the warehouse answered it (`cancelling` → `cancelled`),
      // and insights counts its shipments out only when it has heard so.
      await waitFor(async () => (JSON.stringify((await official.get('insights', url)).body) === JSON.stringify(expected) ? true : undefined), {
        what: `${countyId}'s summary current`,
        timeoutMs: 60_000,
        intervalMs: 1000,
      }).catch(() => undefined);
      const summary = (await official.get('insights', url)).body;
      expect(summary).toEqual(expected);
      // The counties list (figures up to 10 s old) agrees once current.
      await waitFor(
        async () => {
          const items = (await buyer.get<{ items: typeof headlines }>('insights', '/v1/counties')).body.items;
          const c = items.find((i) => i.countyId === countyId);
          return c && c.revenue === expected.sales.revenue ? c : undefined;
        },
        { what: `${countyId} in the counties list`, timeoutMs: 30_000, intervalMs: 1000 },
      ).then((c) => expect(c).toMatchObject({ countyId, name, province, harvestedKg: expected.harvested.kg, soldKg: expected.sales.kg }));
      // Another county's official sees nothing of it.
      const other = client(stack, { role: 'county_official', county: countyId === 'CN-GS-LIXIAN' ? 'CN-JX-XUNWU' : 'CN-GS-LIXIAN', sub: 'official-other' });
      expect((await other.get('insights', `/v1/counties/${countyId}/summary`)).status).toBe(404);
    }
    expect(headlines.length).toBeGreaterThan(0);
  });
});
