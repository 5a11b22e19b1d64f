import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Producer } from 'kafkajs';
import { type EventPayload, type EventType } from '@firstmile/contracts';
import { newEvent, type OutboundEvent } from '@firstmile/messaging';
import { bearer, startApp, TopicProbe, waitFor } from '@firstmile/testing';
import { createApp } from './app';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * A small season of one county as the other services publish it: two growers, three lots (one
 * voided), five orders on four channels — two delivered on time or late, one never delivered, one
 * cancelled, one delivered without a price. Figures are worked out by hand below.
 */
function season() {
  const x = randomUUID().replace(/-/g, '').slice(0, 8).toUpperCase();
  const county = `CN-ZZ-T${x}`;
  const coop = `COOP-${x}`;
  const t0 = Math.floor(Date.now() / DAY) * DAY - 6 * DAY;
  const at = (days: number, hours = 0) => new Date(t0 + days * DAY + hours * HOUR).toISOString();
  const ev = <T extends EventType>(type: T, payload: EventPayload<T>) => newEvent(type, payload, { source: 'test' });
  const lot = (id: string, grower: string, name: string, kg: number) =>
    ev('firstmile.harvest.lot.logged.v1', {
      lotId: id,
      cooperative: { id: coop, name: 'Test Cooperative', county, province: 'Testland' },
      growerId: grower,
      growerName: name,
      orchard: { id: `ORC-${id}`, name: 'Slope', location: { lat: 34.1, lon: 105.1 } },
      produce: 'apple',
      variety: 'Fuji',
      harvestedAt: at(0, 10),
      quantityKg: kg,
      originWarehouseId: 'WH-LIXIAN-ORIGIN',
      loggedAt: at(0, 11),
    });
  const sub = (id: string, grade: string, kg: number, brand: string | null) => ({ subLotId: id, grade, quantityKg: kg, brand, traceCode: `T${id}`.slice(0, 12), bestBefore: at(60) });
  const graded = (lotId: string, cullKg: number, lotKg: number, subLots: ReturnType<typeof sub>[]) =>
    ev('firstmile.grading.lot.graded.v1', {
      lotId,
      cooperativeId: coop,
      originWarehouseId: 'WH-LIXIAN-ORIGIN',
      produce: 'apple',
      variety: 'Fuji',
      standard: 'gb-t-10651-2008',
      lotQuantityKg: lotKg,
      cullKg,
      gradedAt: at(1, 9),
      subLots,
    });
  const alloc = (r: string, subLotId: string, shipmentId: string, kg: number, fen: number | null) => ({
    line: 0,
    warehouseId: 'DC-XIAN',
    subLotId,
    quantityKg: kg,
    reservationId: `${r}-${x}`,
    shipmentId: `${shipmentId}-${x}`,
    unitPriceFen: fen,
    amountFen: fen === null ? null : Math.round(fen * kg),
  });
  const routed = (o: string, channel: 'livestream' | 'marketplace' | 'wholesale' | 'retail', city: string, deliverBy: string | undefined, allocations: ReturnType<typeof alloc>[]) =>
    ev('firstmile.orders.order.routed.v1', {
      orderId: `${o}-${x}`,
      buyerId: 'BUYER-T',
      destination: { city, location: { lat: 30, lon: 120 } },
      allocations,
      placedAt: at(2),
      routedAt: at(2, 1),
      channel,
      ...(deliverBy ? { deliverBy } : {}),
      currency: 'CNY',
      totalFen: allocations.reduce((t, a) => t + (a.amountFen ?? 0), 0),
    });
  const created = (shipmentId: string, o: string, items: Array<[string, number]>) =>
    ev('firstmile.shipments.shipment.created.v1', {
      shipmentId: `${shipmentId}-${x}`,
      orderId: `${o}-${x}`,
      buyerId: 'BUYER-T',
      warehouseId: 'DC-XIAN',
      destination: { city: 'Somewhere', location: { lat: 30, lon: 120 } },
      items: items.map(([subLotId, quantityKg], i) => ({ subLotId, reservationId: `R${i}-${shipmentId}-${x}`, quantityKg })),
      eta: at(5),
      createdAt: at(2, 1),
    });
  const dispatched = (shipmentId: string, o: string, when: string) =>
    ev('firstmile.warehouse.stock.dispatched.v1', { shipmentId: `${shipmentId}-${x}`, orderId: `${o}-${x}`, warehouseId: 'DC-XIAN', items: [], dispatchedAt: when });
  const delivered = (shipmentId: string, o: string, when: string) =>
    ev('firstmile.shipments.shipment.status-changed.v1', { shipmentId: `${shipmentId}-${x}`, orderId: `${o}-${x}`, warehouseId: 'DC-XIAN', status: 'delivered', subLotIds: [], at: when });
  const [L1, L2, L3] = [`LOT-${x}-1`, `LOT-${x}-2`, `LOT-${x}-3`];
  const [S1P, S1A, S2P, S2B] = [`SUB-${x}-1P`, `SUB-${x}-1A`, `SUB-${x}-2P`, `SUB-${x}-2B`];
  const brand = 'Lixian Apple (礼县苹果)';
  const events: OutboundEvent[] = [
    // Sales first: the streams are read independently, so the ledger must not care about the order.
    routed('O1', 'livestream', 'Hangzhou', at(5), [alloc('R1', S1P, 'H1', 100, 1880), alloc('R2', S2P, 'H1', 50, 1200)]),
    // Published twice (a relay handover can do that; same batch here): counted once.
    routed('O1', 'livestream', 'Hangzhou', at(5), [alloc('R1', S1P, 'H1', 100, 1880), alloc('R2', S2P, 'H1', 50, 1200)]),
    routed('O2', 'wholesale', "Xi'an", at(3), [alloc('R3', S1A, 'H2', 200, 660)]),
    routed('O3', 'retail', 'Beijing', undefined, [alloc('R4', S1P, 'H3', 10, 1400)]),
    routed('O4', 'marketplace', 'Hangzhou', undefined, [alloc('R5', S2B, 'H4', 20, 520)]),
    routed('O5', 'marketplace', 'Guangzhou', undefined, [alloc('R6', S2B, 'H5', 30.5, null)]),
    ev('firstmile.orders.order.cancelled.v1', { orderId: `O4-${x}`, buyerId: 'BUYER-T', at: at(2, 3) }),
    created('H1', 'O1', [[S1P, 100], [S2P, 50]]),
    created('H1', 'O1', [[S1P, 100], [S2P, 50]]),
    created('H2', 'O2', [[S1A, 200]]),
    created('H3', 'O3', [[S1P, 10]]),
    created('H4', 'O4', [[S2B, 20]]),
    created('H5', 'O5', [[S2B, 30.5]]),
    dispatched('H1', 'O1', at(3, 8)),
    delivered('H1', 'O1', at(4, 8)),
    dispatched('H2', 'O2', at(3, 0)),
    delivered('H2', 'O2', at(4, 12)),
    dispatched('H3', 'O3', at(3, 0)),
    dispatched('H5', 'O5', at(4, 12)),
    delivered('H5', 'O5', at(5, 0)),
    lot(L1, `GRW-${x}-1`, 'Wang Jianguo', 1000),
    lot(L2, `GRW-${x}-2`, 'Li Xiuying', 500),
    lot(L3, `GRW-${x}-2`, 'Li Xiuying', 200),
    ev('firstmile.harvest.lot.voided.v1', { lotId: L3, cooperativeId: coop, reason: 'wrong orchard', voidedAt: at(0, 12) }),
    graded(L1, 250, 1000, [sub(S1P, 'premium', 400, brand), sub(S1A, 'grade_1', 350, null)]),
    graded(L2, 50, 500, [sub(S2P, 'premium', 300, null), sub(S2B, 'grade_2', 150, null)]),
  ];
  return { x, county, coop, L1, S1P, S1A, events, from: at(0), to: at(6), at };
}

describe('insights: settlements and county figures from the topics', () => {
  let app: NestFastifyApplication;
  let producer: Producer;

  beforeAll(async () => {
    app = await startApp(createApp);
    producer = await TopicProbe.producer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
  });

  const send = (events: OutboundEvent[]) => TopicProbe.publish(producer, events);
  const get = (url: string, headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });

  it('attributes delivered sales to growers and counties to the fen and the gram, and a replay changes nothing', async () => {
    const s = season();
    const ops = bearer({ role: 'ops' });
    const manager = bearer({ role: 'coop_manager', coop: s.coop });
    const official = bearer({ role: 'county_official', county: s.county });
    const window = `from=${encodeURIComponent(s.from)}&to=${encodeURIComponent(s.to)}`;
    await send(s.events);

    const settlementsUrl = `/v1/cooperatives/${s.coop}/settlements?${window}`;
    const expected = {
      cooperativeId: s.coop,
      from: s.from,
      to: s.to,
      currency: 'CNY',
      growers: [
        { growerId: `GRW-${s.x}-2`, name: 'Li Xiuying', harvestedKg: 500, gradedKg: { grade_2: 150, premium: 300 }, cullKg: 50, soldKg: 80.5, revenue: '600.00' },
        { growerId: `GRW-${s.x}-1`, name: 'Wang Jianguo', harvestedKg: 1000, gradedKg: { grade_1: 350, premium: 400 }, cullKg: 250, soldKg: 300, revenue: '3200.00' },
      ],
      total: { harvestedKg: 1500, soldKg: 380.5, revenue: '3800.00' },
    };
    const settled = await waitFor(
      async () => {
        const r = await get(settlementsUrl, manager);
        return r.statusCode === 200 && JSON.stringify(r.json()) === JSON.stringify(expected) ? r.json() : undefined;
      },
      { what: 'the season settled', timeoutMs: 60_000, intervalMs: 500 },
    ).catch(async (err: unknown) => {
      // Show what it is, not only that it is not yet what is expected.
      expect((await get(settlementsUrl, manager)).json()).toEqual(expected);
      throw err;
    });
    expect(settled).toEqual(expected);

    const lot = (await get(`/v1/lots/${s.L1}/settlement`, manager)).json();
    const none = { kg: 0, revenue: '0.00' };
    expect(lot).toEqual({
      lotId: s.L1,
      cooperativeId: s.coop,
      growerId: `GRW-${s.x}-1`,
      currency: 'CNY',
      subLots: [
        { subLotId: s.S1A, grade: 'grade_1', brand: null, quantityKg: 350, soldKg: 200, revenue: '1320.00', byChannel: { livestream: none, marketplace: none, wholesale: { kg: 200, revenue: '1320.00' }, retail: none } },
        // 10 kg of it went to an order never delivered: not sold, not paid.
        { subLotId: s.S1P, grade: 'premium', brand: 'Lixian Apple (礼县苹果)', quantityKg: 400, soldKg: 100, revenue: '1880.00', byChannel: { livestream: { kg: 100, revenue: '1880.00' }, marketplace: none, wholesale: none, retail: none } },
      ],
      soldKg: 300,
      revenue: '3200.00',
    });

    const summaryUrl = `/v1/counties/${s.county}/summary?${window}`;
    const summary = (await get(summaryUrl, official)).json();
    expect(summary).toMatchObject({
      countyId: s.county,
      province: 'Testland',
      harvested: { kg: 1500, lots: 2, byProduce: { apple: { kg: 1500, lots: 2 } } },
      graded: { byGrade: { grade_1: 350, grade_2: 150, premium: 700 }, cullKg: 300, brandedKg: 400, brandedSharePct: 33.3 },
      sales: {
        orders: 3,
        kg: 380.5,
        revenue: '3800.00',
        byChannel: {
          livestream: { orders: 1, kg: 150, revenue: '2480.00' },
          marketplace: { orders: 1, kg: 30.5, revenue: '0.00' },
          wholesale: { orders: 1, kg: 200, revenue: '1320.00' },
          retail: { orders: 0, kg: 0, revenue: '0.00' },
        },
      },
      // H1, H2, H3, H5 (H4's order was cancelled); H1 on time, H2 late; 24 h, 36 h, 12 h → 24.
      deliveries: { shipments: 4, delivered: 3, onTimePct: 50, medianHoursToDeliver: 24 },
      growers: { paid: 2, revenue: '3800.00' },
      topDestinations: [
        { city: "Xi'an", kg: 200 },
        { city: 'Hangzhou', kg: 150 },
        { city: 'Guangzhou', kg: 30.5 },
      ],
      brandPremium: [
        { produce: 'apple', grade: 'grade_1', brandedPerKg: null, unbrandedPerKg: '6.60', premiumPct: null },
        { produce: 'apple', grade: 'grade_2', brandedPerKg: null, unbrandedPerKg: '0.00', premiumPct: null },
        { produce: 'apple', grade: 'premium', brandedPerKg: '18.80', unbrandedPerKg: '12.00', premiumPct: 56.7 },
      ],
    });
    expect(summary.daily).toHaveLength(6);
    expect(summary.daily.map((d: { harvestedKg: number }) => d.harvestedKg)).toEqual([1500, 0, 0, 0, 0, 0]);
    expect(summary.daily.map((d: { gradedKg: number }) => d.gradedKg)).toEqual([0, 1200, 0, 0, 0, 0]);
    expect(summary.daily.map((d: { soldKg: number }) => d.soldKg)).toEqual([0, 0, 0, 0, 350, 30.5]);
    expect(summary.daily.map((d: { revenue: string }) => d.revenue)).toEqual(['0.00', '0.00', '0.00', '0.00', '3800.00', '0.00']);
    expect(summary.daily[0].date).toBe(s.from.slice(0, 10));

    const counties = (await get('/v1/counties?limit=500', bearer({ role: 'buyer', buyer: 'B' }))).json();
    await waitFor(async () => {
      const c = (await get('/v1/counties?limit=500', bearer({ role: 'buyer', buyer: 'B' }))).json().items.find((i: { countyId: string }) => i.countyId === s.county);
      return c && c.revenue === '3800.00' ? c : undefined;
    }, { what: 'the counties list to show the county (kept 10 s)', timeoutMs: 30_000, intervalMs: 1000 });
    expect(counties.items.map((c: { countyId: string }) => c.countyId)).toEqual(expect.arrayContaining(['CN-GS-LIXIAN', 'CN-JX-XUNWU']));

    // A replay of every stream (the same events again) changes nothing.
    await send(s.events);
    await send(s.events);
    // The replayed events are read: a marker sent after them on each of the topics involved arrives.
    const marker = season();
    await send(marker.events);
    await waitFor(async () => ((await get(`/v1/cooperatives/${marker.coop}/settlements?from=${encodeURIComponent(marker.from)}&to=${encodeURIComponent(marker.to)}`, ops)).json().total.revenue === '3800.00' ? true : undefined), {
      what: 'the marker season',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    expect((await get(settlementsUrl, manager)).json()).toEqual(expected);
    expect((await get(summaryUrl, official)).json()).toEqual(summary);
  });

  it('shows a cooperative, a lot and a county to their own people and ops only', async () => {
    const s = season();
    await send(s.events.filter((e) => e.type === 'firstmile.harvest.lot.logged.v1'));
    await waitFor(async () => ((await get(`/v1/lots/${s.L1}/settlement`, bearer({ role: 'ops' }))).statusCode === 200 ? true : undefined), { what: 'the lot' });
    const window = `from=${encodeURIComponent(s.from)}&to=${encodeURIComponent(s.to)}`;
    const cases: Array<[string, Record<string, string> | null, number]> = [
      [`/v1/cooperatives/${s.coop}/settlements`, null, 401],
      [`/v1/cooperatives/${s.coop}/settlements`, bearer({ role: 'buyer', buyer: 'B' }), 403],
      [`/v1/cooperatives/${s.coop}/settlements`, bearer({ role: 'coop_manager', coop: 'COOP-OTHER' }), 404],
      [`/v1/cooperatives/${s.coop}/settlements`, bearer({ role: 'coop_manager', coop: s.coop }), 200],
      [`/v1/cooperatives/${s.coop}/settlements?${window}`, bearer({ role: 'ops' }), 200],
      [`/v1/cooperatives/${s.coop}/settlements?from=${encodeURIComponent(s.to)}&to=${encodeURIComponent(s.from)}`, bearer({ role: 'ops' }), 400],
      [`/v1/cooperatives/${s.coop}/settlements?from=yesterday`, bearer({ role: 'ops' }), 400],
      [`/v1/cooperatives/${s.coop}/settlements?page=2`, bearer({ role: 'ops' }), 400],
      [`/v1/lots/${s.L1}/settlement`, bearer({ role: 'coop_manager', coop: 'COOP-OTHER' }), 404],
      [`/v1/lots/${s.L1}/settlement`, bearer({ role: 'county_official', county: s.county }), 403],
      [`/v1/lots/LOT-NOPE/settlement`, bearer({ role: 'ops' }), 404],
      [`/v1/lots/${s.L1}/settlement`, bearer({ role: 'coop_manager', coop: s.coop }), 200],
      [`/v1/counties/${s.county}/summary`, bearer({ role: 'county_official', county: 'CN-GS-LIXIAN' }), 404],
      [`/v1/counties/${s.county}/summary`, bearer({ role: 'coop_manager', coop: s.coop }), 403],
      [`/v1/counties/${s.county}/summary`, bearer({ role: 'county_official', county: s.county }), 200],
      [`/v1/counties/CN-GS-LIXIAN/summary`, bearer({ role: 'county_official', county: 'CN-GS-LIXIAN' }), 200],
      [`/v1/counties/CN-NOWHERE/summary`, bearer({ role: 'ops' }), 404],
      [`/v1/counties`, null, 401],
    ];
    for (const [url, headers, status] of cases) {
      const r = await app.inject({ method: 'GET', url, headers: headers ?? {} });
      expect([url, r.statusCode]).toEqual([url, status]);
      if (status >= 400) expect(r.headers['content-type']).toContain('application/problem+json');
    }
  });
});
