import { randomUUID } from 'node:crypto';
import { getConnectionToken } from '@nestjs/mongoose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import {
  type EventPayload,
  type EventType,
  LotGradedV1,
  LotLoggedV1,
  LotVoidedV1,
  ShipmentCreatedV1,
  ShipmentStatusChangedV1,
  StockDispatchedV1,
  type StockItem,
  StockReceivedV1,
  Topics,
  TransferDispatchedV1,
  TransferReceivedV1,
} from '@firstmile/contracts';
import { newEvent } from '@firstmile/messaging';
import { bearer, type ProbedRecord, startApp, TopicProbe, waitFor } from '@firstmile/testing';
import { createApp } from './app';

/** Publishes an event as its producer would: CloudEvents headers, the catalog's topic and key. */
async function publishEvent<T extends EventType>(producer: Producer, type: T, payload: EventPayload<T>): Promise<string> {
  const e = newEvent(type, payload, { source: 'test' });
  await TopicProbe.publish(producer, [e]);
  return e.id;
}

const LIXIAN_WH = 'WH-LIXIAN-ORIGIN';
const XUNWU_WH = 'WH-XUNWU-ORIGIN';
const LIXIAN_BRAND = 'Lixian Apple (礼县苹果)';
const XUNWU_BRAND = 'Xunwu Passion Fruit (寻乌百香果)';

const line = (warehouse: string) => bearer({ role: 'grading_line', warehouses: [warehouse] });
const ops = bearer({ role: 'ops' });

function logged(over: Partial<LotLoggedV1> & { county: string }): LotLoggedV1 {
  const { county, ...rest } = over;
  return {
    lotId: `LOT-${randomUUID().slice(0, 8).toUpperCase()}`,
    cooperative: { id: 'COOP-T1', name: 'Test Growers Cooperative', county, province: 'Gansu' },
    growerId: 'GRW-T1',
    orchard: { id: 'ORC-T1', name: 'South slope', location: { lat: 34.19, lon: 105.18 } },
    produce: 'apple',
    variety: 'Fuji',
    harvestedAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
    quantityKg: 1234.567,
    originWarehouseId: LIXIAN_WH,
    loggedAt: new Date().toISOString(),
    ...rest,
  };
}

const repeat = <T>(n: number, f: T): T[] => Array.from({ length: n }, () => f);
const premium = { weightG: 260, diameterMm: 80, colorCoveragePct: 90 };
const grade1 = { weightG: 220, diameterMm: 67, colorCoveragePct: 60 };
const grade2 = { weightG: 180, diameterMm: 62, colorCoveragePct: 25 };
const cull = { weightG: 120, diameterMm: 55, colorCoveragePct: 40 };
const sunburnt = { ...premium, defects: ['sunburn'] };

interface Story {
  journey: { step: string; place?: { city?: string } }[];
  [field: string]: unknown;
}

const sumGrams = (kgs: number[]) => kgs.reduce((s, kg) => s + Math.round(kg * 1000), 0);

describe('grading service', () => {
  let app: NestFastifyApplication;
  let producer: Producer;
  let probe: TopicProbe;

  beforeAll(async () => {
    app = await startApp(createApp);
    producer = await TopicProbe.producer();
    probe = await new TopicProbe().start([Topics.gradingLots]);
  });

  afterAll(async () => {
    await probe?.stop();
    await producer?.disconnect();
    await app?.close();
  });

  const get = (url: string, headers: Record<string, string> = ops) => app.inject({ method: 'GET', url, headers });
  const post = (url: string, payload: object, headers: Record<string, string>) => app.inject({ method: 'POST', url, headers, payload });

  async function pendingLot(lot: LotLoggedV1): Promise<void> {
    await publishEvent(producer, LotLoggedV1.type, lot);
    await waitFor(async () => (await get(`/v1/lots/${lot.lotId}/grading`)).statusCode === 200, { what: `lot ${lot.lotId} to arrive` });
  }

  it('keeps a logged lot pending and shows it to its grading line, its coop manager and ops only', async () => {
    const lot = logged({ county: 'CN-GS-LIXIAN' });
    expect((await get(`/v1/lots/${lot.lotId}/grading`)).statusCode).toBe(404);
    await pendingLot(lot);

    const res = await get(`/v1/lots/${lot.lotId}/grading`, line(LIXIAN_WH));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ lotId: lot.lotId, status: 'pending', produce: 'apple', quantityKg: 1234.567, standard: 'gb-t-10651-2008' });
    expect((await get(`/v1/lots/${lot.lotId}/grading`, bearer({ role: 'coop_manager', coop: 'COOP-T1' }))).statusCode).toBe(200);
    // Someone else's lot is indistinguishable from a missing one.
    const foreign = await get(`/v1/lots/${lot.lotId}/grading`, line(XUNWU_WH));
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    expect((await get(`/v1/lots/${lot.lotId}/grading`, bearer({ role: 'coop_manager', coop: 'COOP-OTHER' }))).statusCode).toBe(404);
    expect((await get(`/v1/lots/${lot.lotId}/grading`, bearer({ role: 'buyer', buyer: 'B1' }))).statusCode).toBe(403);
    expect((await post(`/v1/lots/${lot.lotId}/grading`, { bands: [] }, line(XUNWU_WH))).statusCode).toBe(404);
  });

  it('grades a Lixian apple lot from batches (one sent twice): shares scaled to the lot, Lixian brand on premium and grade_1 only', async () => {
    const lot = logged({ county: 'CN-GS-LIXIAN' });
    await pendingLot(lot);
    const url = `/v1/lots/${lot.lotId}/measurements`;
    const batches = [
      { batchId: 'b-1', fruits: [...repeat(50, premium), ...repeat(30, grade1)] },
      { batchId: 'b-2', fruits: [...repeat(20, grade2), ...repeat(10, cull)] },
      { batchId: 'b-3', fruits: [...repeat(35, premium), ...repeat(5, sunburnt), ...repeat(10, grade1)] },
    ];
    for (const b of batches) {
      const r = await post(url, b, line(LIXIAN_WH));
      expect(r.statusCode).toBe(202);
      expect(r.json()).toMatchObject({ batchId: b.batchId, accepted: true, fruits: b.fruits.length });
    }
    const again = await post(url, batches[1], line(LIXIAN_WH));
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ accepted: false });

    const measured = (await get(`/v1/lots/${lot.lotId}/grading`, line(LIXIAN_WH))).json();
    expect(measured.measurements).toEqual({
      batches: 3,
      fruits: 160,
      byGrade: {
        premium: { fruits: 85, kg: 22.1 },
        grade_1: { fruits: 40, kg: 8.8 },
        grade_2: { fruits: 25, kg: 4.9 },
        cull: { fruits: 10, kg: 1.2 },
      },
    });

    const res = await post(`/v1/lots/${lot.lotId}/grading`, {}, { ...line(LIXIAN_WH), 'idempotency-key': `grade-${lot.lotId}` });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.lotId).toBe(lot.lotId);
    const byGrade = Object.fromEntries(body.subLots.map((s: { grade: string }) => [s.grade, s]));
    expect(Object.keys(byGrade)).toEqual(['premium', 'grade_1', 'grade_2']);
    expect(sumGrams(body.subLots.map((s: { quantityKg: number }) => s.quantityKg)) + Math.round(body.cullKg * 1000)).toBe(1_234_567);
    // Shares of the measured weight (22.1 / 8.8 / 4.9 / 1.2 of 37 kg), each within a gram.
    const share = (kg: number) => (1_234_567 * kg) / 37;
    expect(Math.abs(Math.round(byGrade.premium.quantityKg * 1000) - share(22.1))).toBeLessThan(1);
    expect(Math.abs(Math.round(byGrade.grade_2.quantityKg * 1000) - share(4.9))).toBeLessThan(1);
    expect(Math.abs(Math.round(body.cullKg * 1000) - share(1.2))).toBeLessThan(1);
    expect(byGrade.premium.brand).toBe(LIXIAN_BRAND);
    expect(byGrade.grade_1.brand).toBe(LIXIAN_BRAND);
    expect(byGrade.grade_2.brand).toBeNull();
    for (const s of body.subLots) {
      expect(s.traceCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
      expect(Date.parse(s.bestBefore) - Date.parse(body.gradedAt)).toBe(120 * 86_400_000);
    }

    // The same Idempotency-Key replays the first answer; a new request finds the lot graded.
    const replay = await post(`/v1/lots/${lot.lotId}/grading`, {}, { ...line(LIXIAN_WH), 'idempotency-key': `grade-${lot.lotId}` });
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(body);
    const twice = await post(`/v1/lots/${lot.lotId}/grading`, {}, line(LIXIAN_WH));
    expect(twice.statusCode).toBe(409);
    expect((await post(url, { batchId: 'b-4', fruits: [premium] }, line(LIXIAN_WH))).statusCode).toBe(409);

    const [record] = await probe.expect((r) => r.key === lot.lotId && r.headers['ce_type'] === LotGradedV1.type, { what: 'lot.graded' });
    expect(record.headers['ce_source']).toBe('firstmile/grading');
    expect(record.json).toMatchObject({
      lotId: lot.lotId,
      cooperativeId: 'COOP-T1',
      originWarehouseId: LIXIAN_WH,
      standard: 'gb-t-10651-2008',
      lotQuantityKg: 1234.567,
      cullKg: body.cullKg,
      subLots: body.subLots.map((s: { id: string; grade: string; quantityKg: number; brand: string | null; traceCode: string; bestBefore: string }) => ({
        subLotId: s.id,
        grade: s.grade,
        quantityKg: s.quantityKg,
        brand: s.brand,
        traceCode: s.traceCode,
        bestBefore: s.bestBefore,
      })),
    });
    const view = (await get(`/v1/lots/${lot.lotId}/grading`, bearer({ role: 'coop_manager', coop: 'COOP-T1' }))).json();
    expect(view).toMatchObject({ status: 'graded', subLots: body.subLots, cullKg: body.cullKg });

    // Provenance: public, harvested and graded first, received once the warehouse has the stock.
    const premiumSub = byGrade.premium;
    const pUrl = `/v1/provenance/${premiumSub.traceCode}`;
    const story = await waitFor(async () => {
      const r = await app.inject({ method: 'GET', url: pUrl });
      return r.statusCode === 200 ? r.json<Story>() : undefined;
    }, { what: 'provenance' });
    expect(story).toMatchObject({
      traceCode: premiumSub.traceCode,
      produce: 'apple',
      variety: 'Fuji',
      grade: 'premium',
      brand: LIXIAN_BRAND,
      cooperative: { name: 'Test Growers Cooperative', county: 'CN-GS-LIXIAN', province: 'Gansu' },
      orchard: { name: 'South slope', location: { lat: 34.19, lon: 105.18 } },
      harvestedAt: lot.harvestedAt,
      gradedAt: body.gradedAt,
    });
    expect(story.journey.map((j: { step: string }) => j.step)).toEqual(['harvested', 'graded']);
    expect(JSON.stringify(story)).not.toMatch(/GRW-T1|growerId|phone/);

    const received: StockReceivedV1 = {
      warehouseId: LIXIAN_WH,
      warehouseLocation: { lat: 34.19, lon: 105.17 },
      subLotId: premiumSub.id,
      lotId: lot.lotId,
      produce: 'apple',
      variety: 'Fuji',
      grade: 'premium',
      brand: LIXIAN_BRAND,
      traceCode: premiumSub.traceCode,
      bestBefore: premiumSub.bestBefore,
      stock: { onHandKg: premiumSub.quantityKg, reservedKg: 0, availableKg: premiumSub.quantityKg, version: 1 },
      quantityKg: premiumSub.quantityKg,
      via: 'grading',
      receivedAt: new Date(Date.parse(body.gradedAt) + 60_000).toISOString(),
    };
    // Sent twice (as a redelivery would): the journey gains one step.
    await publishEvent(producer, StockReceivedV1.type, received);
    await publishEvent(producer, StockReceivedV1.type, received);
    const withReceipt = await waitFor(async () => {
      const j = (await app.inject({ method: 'GET', url: pUrl })).json();
      return j.journey.length >= 3 ? j : undefined;
    }, { what: 'received step' });
    await new Promise((r) => setTimeout(r, 500));
    const final = (await app.inject({ method: 'GET', url: pUrl })).json();
    expect(final.journey.map((j: { step: string }) => j.step)).toEqual(['harvested', 'graded', 'received']);
    expect(withReceipt.journey[2]).toMatchObject({ step: 'received', at: received.receivedAt, place: { warehouseId: LIXIAN_WH, location: { lat: 34.19, lon: 105.17 } } });
  });

  it('grades a Xunwu passion-fruit lot by single-fruit weight', async () => {
    const lot = logged({ county: 'CN-JX-XUNWU', produce: 'passion_fruit', variety: 'Purple', quantityKg: 500, originWarehouseId: XUNWU_WH });
    await pendingLot(lot);
    const fruits = [...repeat(30, { weightG: 95 }), ...repeat(40, { weightG: 75 }), ...repeat(20, { weightG: 55 }), ...repeat(10, { weightG: 40 }), { weightG: 100, defects: ['crack'] }];
    expect((await post(`/v1/lots/${lot.lotId}/measurements`, { batchId: 'pf-1', fruits }, line(XUNWU_WH))).statusCode).toBe(202);
    const res = await post(`/v1/lots/${lot.lotId}/grading`, {}, line(XUNWU_WH));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.subLots.map((s: { grade: string; brand: string | null }) => [s.grade, s.brand])).toEqual([
      ['jumbo', XUNWU_BRAND],
      ['large', XUNWU_BRAND],
      ['medium', null],
    ]);
    expect(sumGrams(body.subLots.map((s: { quantityKg: number }) => s.quantityKg)) + Math.round(body.cullKg * 1000)).toBe(500_000);
    expect(Date.parse(body.subLots[0].bestBefore) - Date.parse(body.gradedAt)).toBe(21 * 86_400_000);
  });

  it('grades by weighed bands, refuses bands heavier than the lot, and refuses a voided lot with 409', async () => {
    const lot = logged({ county: 'CN-GS-JINGNING', quantityKg: 100 });
    await pendingLot(lot);
    const url = `/v1/lots/${lot.lotId}/grading`;
    const tooMuch = await post(url, { bands: [{ grade: 'premium', quantityKg: 60 }, { grade: 'grade_1', quantityKg: 40.001 }] }, line(LIXIAN_WH));
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.json().errors[0]).toMatchObject({ field: 'bands', message: 'the bands weigh 100.001 kg but the lot is 100 kg' });
    expect((await post(url, { bands: [{ grade: 'jumbo', quantityKg: 1 }] }, line(LIXIAN_WH))).statusCode).toBe(400);
    expect((await post(url, {}, line(LIXIAN_WH))).statusCode).toBe(409); // nothing measured yet
    const ok = await post(url, { bands: [{ grade: 'premium', quantityKg: 60.5 }, { grade: 'grade_2', quantityKg: 30.25 }] }, line(LIXIAN_WH));
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ cullKg: 9.25, subLots: [{ grade: 'premium', quantityKg: 60.5, brand: 'Jingning Apple (静宁苹果)' }, { grade: 'grade_2', quantityKg: 30.25, brand: null }] });

    const voided = logged({ county: 'CN-GS-LIXIAN' });
    await pendingLot(voided);
    await publishEvent(producer, LotVoidedV1.type, { lotId: voided.lotId, cooperativeId: 'COOP-T1', reason: 'logged twice', voidedAt: new Date().toISOString() });
    await waitFor(async () => (await get(`/v1/lots/${voided.lotId}/grading`)).json().status === 'voided', { what: 'void' });
    const refused = await post(`/v1/lots/${voided.lotId}/grading`, { bands: [{ grade: 'premium', quantityKg: 1 }] }, line(LIXIAN_WH));
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ status: 409, type: 'urn:firstmile:problem:lot-not-pending' });
  });

  it('answers a retry of a grading that died before its answer was stored with that grading, and anyone else with 409', async () => {
    const lot = logged({ county: 'CN-GS-LIXIAN', quantityKg: 80 });
    await pendingLot(lot);
    const url = `/v1/lots/${lot.lotId}/grading`;
    const body = { bands: [{ grade: 'premium', quantityKg: 50 }, { grade: 'grade_1', quantityKg: 30 }] };
    const key = { 'idempotency-key': randomUUID(), ...line(LIXIAN_WH) };
    const first = await post(url, body, key);
    expect(first.statusCode).toBe(201);
    // What a crash right after the grading's write leaves: the outcome, and a stale claim in flight.
    const taken = await app.get<Connection>(getConnectionToken()).collection('idempotency_keys').updateOne(
      { state: 'done', 'body.lotId': lot.lotId },
      { $set: { state: 'in_flight', createdAt: new Date(Date.now() - 120_000) }, $unset: { status: '', body: '' } },
    );
    expect(taken.modifiedCount).toBe(1);

    const retry = await post(url, body, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    const other = await post(url, body, { 'idempotency-key': randomUUID(), ...line(LIXIAN_WH) });
    expect(other.statusCode).toBe(409);
    const graded = (r: ProbedRecord) => r.key === lot.lotId && r.headers['ce_type'] === LotGradedV1.type;
    await probe.expect(graded, { what: 'lot.graded' });
    expect(probe.records.filter(graded)).toHaveLength(1);
  });

  it('tells a sub-lot\'s journey from warehouse and shipment events, in the order things happened', async () => {
    const lot = logged({ county: 'CN-GS-LIXIAN', quantityKg: 50 });
    await pendingLot(lot);
    const graded = await post(`/v1/lots/${lot.lotId}/grading`, { bands: [{ grade: 'premium', quantityKg: 50 }] }, line(LIXIAN_WH));
    expect(graded.statusCode).toBe(201);
    const sub = graded.json().subLots[0];
    const url = `/v1/provenance/${sub.traceCode}`;
    await waitFor(async () => (await app.inject({ method: 'GET', url })).statusCode === 200, { what: 'provenance' });

    const t = (minutes: number) => new Date(Date.parse(graded.json().gradedAt) + minutes * 60_000).toISOString();
    const item = (warehouseId: string, lat: number): StockItem => ({
      warehouseId,
      warehouseLocation: { lat, lon: 105 },
      subLotId: sub.id,
      lotId: lot.lotId,
      produce: 'apple',
      variety: 'Fuji',
      grade: 'premium',
      brand: sub.brand,
      traceCode: sub.traceCode,
      bestBefore: sub.bestBefore,
      stock: { onHandKg: 50, reservedKg: 0, availableKg: 50, version: 1 },
    });
    const shipment = { shipmentId: 'SHP-T1', orderId: 'ORD-T1', warehouseId: 'DC-HANGZHOU', subLotIds: [sub.id] };
    // Published out of order, as different streams deliver them. The delivery checkpoint is the buyer's door.
    const door = { name: '18 Wensan Rd, flat 502', location: { lat: 30.2791, lon: 120.1408 } };
    await publishEvent(producer, ShipmentStatusChangedV1.type, { ...shipment, status: 'delivered', at: t(50), location: door });
    await publishEvent(producer, StockReceivedV1.type, { ...item(LIXIAN_WH, 34.2), quantityKg: 50, via: 'grading', receivedAt: t(1) });
    await publishEvent(producer, TransferDispatchedV1.type, { ...item(LIXIAN_WH, 34.2), transferId: 'TRF-T1', toWarehouseId: 'DC-HANGZHOU', quantityKg: 20, dispatchedAt: t(10) });
    await publishEvent(producer, TransferReceivedV1.type, { ...item('DC-HANGZHOU', 30.3), transferId: 'TRF-T1', fromWarehouseId: LIXIAN_WH, quantityKg: 20, receivedAt: t(20) });
    // The warehouse may also report the arrival as stock received via transfer: the same step, once.
    await publishEvent(producer, StockReceivedV1.type, { ...item('DC-HANGZHOU', 30.3), quantityKg: 20, via: 'transfer', transferId: 'TRF-T1', receivedAt: t(20) });
    await publishEvent(producer, StockDispatchedV1.type, {
      shipmentId: 'SHP-T1',
      orderId: 'ORD-T1',
      warehouseId: 'DC-HANGZHOU',
      items: [{ ...item('DC-HANGZHOU', 30.3), reservationId: 'RSV-1', quantityKg: 5 }],
      dispatchedAt: t(30),
    });
    await publishEvent(producer, ShipmentStatusChangedV1.type, { ...shipment, status: 'dispatched', at: t(30) });
    await publishEvent(producer, ShipmentStatusChangedV1.type, { ...shipment, status: 'in_transit', at: t(40), location: { name: 'Hangzhou hub' } });
    await publishEvent(producer, ShipmentCreatedV1.type, {
      ...shipment,
      buyerId: 'BUYER-T1',
      destination: { city: 'Hangzhou', location: door.location, address: door.name },
      items: [{ subLotId: sub.id, reservationId: 'RSV-1', quantityKg: 5 }],
      eta: t(60),
      createdAt: t(25),
    });
    await publishEvent(producer, ShipmentStatusChangedV1.type, { ...shipment, status: 'info_received', at: t(35) });

    const steps = ['harvested', 'graded', 'received', 'transferred', 'received', 'dispatched', 'in_transit', 'delivered'];
    const story = await waitFor(async () => {
      const j = (await app.inject({ method: 'GET', url })).json<Story>();
      return j.journey.length >= steps.length ? j : undefined;
    }, { what: 'the whole journey', intervalMs: 250 });
    expect(story.journey.map((j) => j.step)).toEqual(steps);
    expect(story.journey[3]).toMatchObject({ step: 'transferred', place: { warehouseId: LIXIAN_WH }, to: { warehouseId: 'DC-HANGZHOU' } });
    expect(story.journey[4]).toMatchObject({ step: 'received', at: t(20), place: { warehouseId: 'DC-HANGZHOU', location: { lat: 30.3, lon: 105 } } });
    // Issue 22.10: after the warehouse, the public sees the destination's city, never the checkpoint.
    const cityShown = await waitFor(async () => {
      const j = (await app.inject({ method: 'GET', url })).json<Story>();
      return j.journey[7].place?.city ? j : undefined;
    }, { what: 'the destination city in the journey', intervalMs: 250 });
    expect(cityShown.journey[6]).toEqual({ step: 'in_transit', at: t(40), place: { city: 'Hangzhou' } });
    expect(cityShown.journey[7]).toEqual({ step: 'delivered', at: t(50), place: { city: 'Hangzhou' } });
    expect(JSON.stringify(cityShown)).not.toMatch(/Wensan|30\.2791|Hangzhou hub/);
    expect((await app.inject({ method: 'GET', url: '/v1/provenance/NOT-A-CODE' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/provenance/0000000000ZZ' })).statusCode).toBe(404);
  });

  it('under concurrency: every distinct batch counts once, and one of several simultaneous gradings wins', async () => {
    const lot = logged({ county: 'CN-GS-LIXIAN', quantityKg: 10 });
    await pendingLot(lot);
    const url = `/v1/lots/${lot.lotId}/measurements`;
    const sends = [...Array.from({ length: 8 }, (_, i) => `c-${i}`), 'c-0', 'c-0', 'c-1'].map((batchId) =>
      post(url, { batchId, fruits: repeat(100, premium) }, line(LIXIAN_WH)),
    );
    const answers = await Promise.all(sends);
    expect(answers.map((a) => a.statusCode)).toEqual(repeat(11, 202));
    expect(answers.filter((a) => a.json().accepted).length).toBe(8);
    expect((await get(`/v1/lots/${lot.lotId}/grading`)).json().measurements).toMatchObject({ batches: 8, fruits: 800 });

    const gradings = await Promise.all(repeat(5, 0).map(() => post(`/v1/lots/${lot.lotId}/grading`, {}, line(LIXIAN_WH))));
    expect(gradings.map((g) => g.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    await probe.expect((r) => r.key === lot.lotId, { what: 'lot.graded' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(probe.records.filter((r) => r.key === lot.lotId)).toHaveLength(1);
  });

  it('rejects a batch over 10,000 fruits and malformed fruits', async () => {
    const lot = logged({ county: 'CN-GS-LIXIAN' });
    await pendingLot(lot);
    const url = `/v1/lots/${lot.lotId}/measurements`;
    expect((await post(url, { batchId: 'big', fruits: repeat(10_001, premium) }, line(LIXIAN_WH))).statusCode).toBe(400);
    expect((await post(url, { batchId: 'bad', fruits: [{ weightG: -1 }] }, line(LIXIAN_WH))).statusCode).toBe(400);
    expect((await post(url, { batchId: 'a.b', fruits: [premium] }, line(LIXIAN_WH))).statusCode).toBe(400);
    expect((await post(url, { batchId: 'x', fruits: [{ ...premium, sugar: 12 }] }, line(LIXIAN_WH))).statusCode).toBe(400);
    // The route's JSON schema answers like the ValidationPipe: problem+json naming each field,
    // unknown fields refused (not dropped), nothing coerced.
    const bad = await post(url, { batchId: 'y', fruits: [premium, { ...premium, weightG: '245' }, { ...premium, sugar: 12 }], line: 2 }, line(LIXIAN_WH));
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({ status: 400, type: 'urn:firstmile:problem:validation' });
    expect(bad.json().errors).toEqual(
      expect.arrayContaining([
        { field: 'line', message: 'is not a known field' },
        { field: 'fruits.1.weightG', message: 'must be number' },
        { field: 'fruits.2.sugar', message: 'is not a known field' },
      ]),
    );
    expect((await get(`/v1/lots/${lot.lotId}/grading`)).json().measurements).toMatchObject({ batches: 0 });
    // Who may post comes before what was posted.
    expect((await app.inject({ method: 'POST', url, payload: { nope: 1 } })).statusCode).toBe(401);
    expect((await post(url, { nope: 1 }, bearer({ role: 'buyer', buyer: 'B1' }))).statusCode).toBe(403);
  });

  it('serves the standards to any caller and lets ops manage brand programs', async () => {
    const standards = await get('/v1/standards', bearer({ role: 'buyer', buyer: 'B1' }));
    expect(standards.statusCode).toBe(200);
    const ids = standards.json().items.map((s: { id: string; inUse: boolean }) => [s.id, s.inUse]);
    expect(ids).toEqual([['gb-t-10651-2008', true], ['unece-ffv-50', false], ['passion-fruit-weight', true]]);
    expect(standards.json().items[0].grades.map((g: { grade: string }) => g.grade)).toEqual(['premium', 'grade_1', 'grade_2']);
    expect((await app.inject({ method: 'GET', url: '/v1/standards' })).statusCode).toBe(401);

    const brands = (await get('/v1/brands', bearer({ role: 'coop_manager', coop: 'C' }))).json().items;
    expect(brands.map((b: { name: string }) => b.name)).toEqual(expect.arrayContaining([LIXIAN_BRAND, XUNWU_BRAND]));

    const dto = { name: `Deqing Tribute Mandarin ${randomUUID().slice(0, 6)}`, produce: 'apple', counties: ['CN-GD-DEQING'], minGrade: 'grade_1' };
    expect((await post('/v1/brands', dto, bearer({ role: 'coop_manager', coop: 'C' }))).statusCode).toBe(403);
    const created = await post('/v1/brands', dto, ops);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: expect.stringMatching(/^BRAND-/), ...dto });
    expect((await post('/v1/brands', dto, ops)).statusCode).toBe(409);
    expect((await post('/v1/brands', { ...dto, name: 'Other', minGrade: 'jumbo' }, ops)).statusCode).toBe(400);

    // Issue 22.13: every name without Latin letters was BRAND-X, so the second such brand got 409.
    const han = () => Array.from({ length: 4 }, () => String.fromCodePoint(0x4e00 + Math.floor(Math.random() * 0x5000))).join('');
    const chinese = [`德庆贡柑${han()}`, `赣南脐橙${han()}`].map((name) => ({ ...dto, name }));
    const answers = [await post('/v1/brands', chinese[0], ops), await post('/v1/brands', chinese[1], ops)];
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201]);
    expect(answers[0].json().id).not.toBe(answers[1].json().id);
    expect((await post('/v1/brands', chinese[1], ops)).statusCode).toBe(409);
  });
});
