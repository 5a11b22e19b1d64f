import { getModelToken } from '@nestjs/mongoose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Model } from 'mongoose';
import type { Producer } from 'kafkajs';
import {
  ConfirmReservationV1,
  LotGradedV1,
  ReleaseReservationV1,
  ReservationLapsedV1,
  ReservationRejectedV1,
  ReservationReleaseRefusedV1,
  ReservationReleasedV1,
  ReserveStockV1,
  StockDispatchedV1,
  StockReceivedV1,
  StockReservedV1,
  Topics,
  toGrams,
} from '@firstmile/contracts';
import type { OutboundEvent } from '@firstmile/messaging';
import { bearer, type ProbedRecord, startApp, TopicProbe, waitFor } from '@firstmile/testing';
import { DAY_MS, event, graded, json } from '../test-kit';
import { type LedgerEntryView, positionId, StockService, type StockItemView } from './stock.service';
import { apply } from './stock-position';
import { StockPosition, StockReservation } from './stock-position.schema';
import { pendingWrites, StockRepository } from './stock.repository';

const WH = 'WH-LIXIAN-ORIGIN';
const operator = bearer({ role: 'warehouse_operator', warehouses: [WH] });
const stranger = bearer({ role: 'warehouse_operator', warehouses: ['DC-XIAN'] });
const ops = bearer({ role: 'ops' });

interface Answer {
  reservationId: string;
  orderId: string;
  quantityKg: number;
  reason?: string;
  stock?: { onHandKg: number; reservedKg: number; availableKg: number; version: number };
}

describe('warehouse stock on the real broker and store', () => {
  let app: NestFastifyApplication;
  let probe: TopicProbe;
  let kafka: Producer;

  const answers = (ids: Set<string>) =>
    probe.records.filter(
      (r) => (r.headers['ce_type'] === StockReservedV1.type || r.headers['ce_type'] === ReservationRejectedV1.type) && ids.has((r.json as Answer).reservationId),
    );
  const get = async <T>(url: string, headers = operator) => {
    const r = await app.inject({ method: 'GET', url, headers });
    expect(r.statusCode).toBe(200);
    return json<T>(r);
  };
  const stockOf = async (subLotId: string) =>
    (await get<{ items: StockItemView[] }>(`/v1/warehouses/${WH}/stock?subLotId=${encodeURIComponent(subLotId)}`)).items[0];
  /** Every ledger entry of a sub-lot here, following the cursor. */
  const ledgerOf = async (subLotId: string) => {
    const entries: LedgerEntryView[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: LedgerEntryView[]; nextCursor: string | null } = await get(
        `/v1/warehouses/${WH}/ledger?subLotId=${encodeURIComponent(subLotId)}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      entries.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return entries;
  };
  const grams = (kg: number) => Math.round(kg * 1000);
  const sumKg = (xs: number[]) => xs.reduce((s, x) => s + grams(x), 0) / 1000;

  /** Receives a lot graded into the given sub-lots and waits until the stock is there. */
  const receive = async (subLots: Parameters<typeof graded>[0]['subLots']) => {
    const lot = graded({ warehouseId: WH, subLots });
    await TopicProbe.publish(kafka, [event(LotGradedV1.type, lot)]);
    await probe.expect((r) => r.headers['ce_type'] === StockReceivedV1.type && (r.json as StockReceivedV1).lotId === lot.lotId, {
      count: lot.subLots.length,
      what: 'stock received',
    });
    return lot;
  };
  const reserveCmd = (subLotId: string, n: number, quantityKg: number, mustLastUntil = new Date(Date.now() + 3 * DAY_MS)) =>
    event(ReserveStockV1.type, {
      reservationId: `RES-${subLotId}-${n}`,
      orderId: `ORD-${n}`,
      warehouseId: WH,
      subLotId,
      quantityKg,
      mustLastUntil: mustLastUntil.toISOString(),
      requestedAt: new Date().toISOString(),
    });

  beforeAll(async () => {
    probe = await new TopicProbe().start([Topics.warehouseStock]);
    kafka = await TopicProbe.producer();
    const { createApp } = await import('../app');
    app = await startApp(createApp);
  });

  afterAll(async () => {
    await app?.close();
    await kafka?.disconnect();
    await probe?.stop();
  });

  it('seeds the reference warehouses and lets ops add one', async () => {
    const list = await get<{ items: Array<{ id: string; kind: string }> }>('/v1/warehouses?limit=500', bearer({ role: 'buyer', buyer: 'B1' }));
    expect(list.items.map((w) => w.id)).toEqual(expect.arrayContaining([WH, 'DC-HANGZHOU']));
    const body = { id: 'DC-NANJING', name: 'Nanjing distribution center', kind: 'regional', city: 'Nanjing', location: { lat: 32.06, lon: 118.8 } };
    expect((await app.inject({ method: 'POST', url: '/v1/warehouses', headers: operator, payload: body })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/v1/warehouses', headers: ops, payload: { ...body, extra: 1 } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/v1/warehouses', headers: ops, payload: body })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/v1/warehouses', headers: ops, payload: body })).statusCode).toBe(409);
  });

  it('receives a graded lot as one position per sub-lot, once, visible only to its operators and ops', async () => {
    const lot = graded({ warehouseId: WH, subLots: [{ grade: 'premium', quantityKg: 600.5, brand: 'Lixian Apple (礼县苹果)' }, { grade: 'grade_1', quantityKg: 399.5 }] });
    const e = event(LotGradedV1.type, lot);
    await TopicProbe.publish(kafka, [e]);
    const received = await probe.expect((r) => r.headers['ce_type'] === StockReceivedV1.type && (r.json as StockReceivedV1).lotId === lot.lotId, {
      count: 2,
      what: 'stock received',
    });
    expect(received[0].json).toMatchObject({ warehouseId: WH, warehouseLocation: { lat: 34.19, lon: 105.18 }, via: 'grading', stock: { version: 1 } });

    // The same event again (same ce_id), then a barrier lot on the same partition: nothing new for the first.
    const barrier = graded({ warehouseId: WH, subLots: [{ grade: 'grade_2', quantityKg: 1 }] });
    await TopicProbe.publish(kafka, [e, { ...event(LotGradedV1.type, barrier), key: lot.lotId }]);
    await probe.expect((r) => (r.json as StockReceivedV1 | null)?.lotId === barrier.lotId, { what: 'barrier received' });
    expect(probe.ofType(StockReceivedV1.type).filter((r) => (r.json as StockReceivedV1).lotId === lot.lotId)).toHaveLength(2);

    const premium = await get<{ items: StockItemView[] }>(`/v1/warehouses/${WH}/stock?grade=premium&produce=apple`);
    expect(premium.items.find((i) => i.lotId === lot.lotId)).toMatchObject({
      subLotId: lot.subLots[0].subLotId,
      produce: 'apple',
      variety: 'Fuji',
      grade: 'premium',
      brand: 'Lixian Apple (礼县苹果)',
      onHandKg: 600.5,
      reservedKg: 0,
      availableKg: 600.5,
      bestBefore: lot.subLots[0].bestBefore,
    });
    expect(premium.items.every((i) => i.grade === 'premium')).toBe(true);
    expect((await app.inject({ method: 'GET', url: `/v1/warehouses/${WH}/stock`, headers: stranger })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/v1/warehouses/${WH}/ledger`, headers: stranger })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/v1/warehouses/${WH}/stock`, headers: ops })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/v1/warehouses/${WH}/stock`, headers: bearer({ role: 'buyer', buyer: 'B' }) })).statusCode).toBe(403);
    expect(await ledgerOf(lot.subLots[1].subLotId)).toMatchObject([{ kind: 'received', quantityKg: 399.5, onHandDeltaKg: 399.5, onHandKg: 399.5 }]);
  });

  it('answers 300 concurrent reservations for one sub-lot exactly once each, never reserving more than there is', async () => {
    const lot = await receive([{ grade: 'premium', quantityKg: 1000 }]);
    const subLotId = lot.subLots[0].subLotId;
    // 1–8 kg with grams: ~1,350 kg asked of 1,000 kg, so the stock runs out part-way.
    const commands = Array.from({ length: 300 }, (_, n) => reserveCmd(subLotId, n, (1000 + ((n * 7919) % 7000)) / 1000));
    const ids = new Set(commands.map((c) => (c.data as ReserveStockV1).reservationId));
    const started = Date.now();
    // Keyed by order, as many orders' commands would arrive from many partitions, so six handlers
    // race on the same position (the catalog keys them by sub-lot, which would serialize them).
    await TopicProbe.publish(kafka, commands, (c) => (c.data as ReserveStockV1).orderId);
    const progress = setInterval(() => process.stderr.write(`[warehouse] ${answers(ids).length} answers after ${Date.now() - started} ms\n`), 10_000);
    const got = await probe
      .expect((r) => ids.has((r.json as Answer | null)?.reservationId ?? ''), { count: 300, timeoutMs: 90_000, what: '300 answers' })
      .finally(() => clearInterval(progress))
      .catch(async (err: unknown) => {
        const model = app.get<Model<StockPosition>>(getModelToken(StockPosition.name));
        const d = await model.findById(`${WH}:${subLotId}`).lean<StockPosition & { appliedEvents: string[] }>();
        process.stderr.write(`[warehouse] v${d?.version} onHand ${d?.onHandG} reserved ${d?.reservedG} avail ${d?.availableG} outboxSize ${d?.outboxSize} outbox ${d?.outbox.length} pending ${d?.pendingCount}\n`);
        const ceIds = answers(ids).map((r) => r.headers['ce_id']);
        process.stderr.write(`[warehouse] records ${ceIds.length} unique ce_ids ${new Set(ceIds).size}\n`);
        throw err;
      });
    const elapsed = Date.now() - started;
    process.stderr.write(`[warehouse] 300 concurrent reservations answered in ${elapsed} ms\n`);

    const reserved = got.filter((r) => r.headers['ce_type'] === StockReservedV1.type).map((r) => r.json as StockReservedV1);
    const rejected = got.filter((r) => r.headers['ce_type'] === ReservationRejectedV1.type).map((r) => r.json as ReservationRejectedV1);
    expect(new Set(got.map((r) => (r.json as Answer).reservationId)).size).toBe(300);
    expect(reserved.length + rejected.length).toBe(300);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((r) => r.reason === 'insufficient_stock' && r.stock !== undefined && r.stock.availableKg < r.quantityKg)).toBe(true);
    const reservedKg = sumKg(reserved.map((r) => r.quantityKg));
    expect(reservedKg).toBeLessThanOrEqual(1000);
    // Versions are unique and the figures each event carries are consistent.
    expect(new Set(reserved.map((r) => r.stock.version)).size).toBe(reserved.length);
    for (const r of reserved) expect(grams(r.stock.onHandKg)).toBe(grams(r.stock.availableKg) + grams(r.stock.reservedKg));
    const newest = reserved.reduce((a, b) => (a.stock.version > b.stock.version ? a : b));
    expect(newest.stock.reservedKg).toBe(reservedKg);

    const position = await stockOf(subLotId);
    expect(position).toMatchObject({ onHandKg: 1000, reservedKg: reservedKg, availableKg: (1_000_000 - grams(reservedKg)) / 1000 });
    // Whatever was refused would not have fitted in what was left.
    expect(Math.min(...rejected.map((r) => r.quantityKg))).toBeGreaterThan(position.availableKg);
    const ledger = await ledgerOf(subLotId);
    expect(ledger).toHaveLength(1 + reserved.length);
    expect(sumKg(ledger.map((e) => e.onHandDeltaKg))).toBe(position.onHandKg);
    expect(sumKg(ledger.map((e) => e.reservedDeltaKg))).toBe(position.reservedKg);

    // Redelivered commands (same ce_id) and a duplicate under a new ce_id change nothing and get no second answer.
    const again = [...commands.slice(0, 40), event(ReserveStockV1.type, commands[1].data as ReserveStockV1)];
    const barrier = reserveCmd(subLotId, 1000, 0.001);
    await TopicProbe.publish(kafka, [...again, barrier], () => subLotId);
    const [barrierAnswer] = await probe.expect((r) => (r.json as Answer | null)?.reservationId === (barrier.data as ReserveStockV1).reservationId, {
      what: 'barrier answered',
    });
    expect(answers(ids)).toHaveLength(300);
    const after = await stockOf(subLotId);
    const barrierKg = barrierAnswer.headers['ce_type'] === StockReservedV1.type ? 0.001 : 0;
    expect(after.reservedKg).toBe(sumKg([reservedKg, barrierKg]));
    expect(after.version).toBe(position.version + (barrierKg ? 1 : 0));
  });

  it('releases on request once, confirms for a shipment and dispatches the confirmed stock', async () => {
    const lot = await receive([{ grade: 'grade_1', quantityKg: 100 }]);
    const subLotId = lot.subLots[0].subLotId;
    const [a, b, c] = [reserveCmd(subLotId, 1, 10), reserveCmd(subLotId, 2, 20), reserveCmd(subLotId, 3, 30)];
    const rid = (e: OutboundEvent) => (e.data as ReserveStockV1).reservationId;
    const tooLate = reserveCmd(subLotId, 4, 1, new Date(Date.now() + 200 * DAY_MS));
    const unknown = event(ReserveStockV1.type, { ...(a.data as ReserveStockV1), reservationId: `RES-UNKNOWN-${subLotId}`, subLotId: `${subLotId}-NOPE` });
    await TopicProbe.publish(kafka, [a, b, c, tooLate, unknown]);
    const byId = async (id: string) => (await probe.expect((r) => (r.json as Answer | null)?.reservationId === id, { what: `answer to ${id}` }))[0];
    expect((await byId(rid(tooLate))).json).toMatchObject({ reason: 'expires_too_soon' });
    expect((await byId(rid(unknown))).json).toMatchObject({ reason: 'unknown_stock' });
    for (const r of [a, b, c]) expect((await byId(rid(r))).headers['ce_type']).toBe(StockReservedV1.type);

    const release = event(ReleaseReservationV1.type, { reservationId: rid(a), orderId: 'ORD-1', warehouseId: WH, subLotId, reason: 'cancelled', requestedAt: new Date().toISOString() });
    const releaseAgain = event(ReleaseReservationV1.type, release.data as ReleaseReservationV1);
    const releaseUnknown = event(ReleaseReservationV1.type, { ...(release.data as ReleaseReservationV1), reservationId: 'RES-NEVER' });
    const shipmentId = `SHP-${subLotId}`;
    const confirm = (e: OutboundEvent) =>
      event(ConfirmReservationV1.type, { reservationId: rid(e), orderId: (e.data as ReserveStockV1).orderId, shipmentId, warehouseId: WH, subLotId, requestedAt: new Date().toISOString() });
    await TopicProbe.publish(kafka, [release, release, releaseAgain, releaseUnknown, confirm(b), confirm(c), confirm(c)]);
    const released = await probe.expect((r) => r.headers['ce_type'] === ReservationReleasedV1.type && (r.json as Answer).reservationId === rid(a), { what: 'released' });
    expect(released[0].json).toMatchObject({ reason: 'requested', quantityKg: 10, stock: { reservedKg: 50, availableKg: 50 } });
    await waitFor(async () => (await stockOf(subLotId)).version === 1 + 3 + 1 + 2, { what: 'confirmations applied' });

    const dispatch = () => app.inject({ method: 'POST', url: `/v1/warehouses/${WH}/dispatches`, headers: operator, payload: { shipmentId } });
    expect((await app.inject({ method: 'POST', url: `/v1/warehouses/${WH}/dispatches`, headers: stranger, payload: { shipmentId } })).statusCode).toBe(404);
    const first = await dispatch();
    expect(first.statusCode).toBe(201);
    expect(json(first)).toMatchObject({ shipmentId, warehouseId: WH, items: expect.arrayContaining([{ subLotId, reservationId: rid(c), quantityKg: 30 }]) });
    expect(json(await dispatch())).toEqual(json(first));
    const sent = await probe.expect((r) => r.headers['ce_type'] === StockDispatchedV1.type && (r.json as StockDispatchedV1).shipmentId === shipmentId, { what: 'dispatched' });
    expect(sent[0].json).toMatchObject({ orderId: 'ORD-2', items: expect.arrayContaining([expect.objectContaining({ reservationId: rid(b), quantityKg: 20, stock: expect.objectContaining({ onHandKg: 50, reservedKg: 0 }) })]) });
    expect((await app.inject({ method: 'POST', url: `/v1/warehouses/${WH}/dispatches`, headers: operator, payload: { shipmentId: 'SHP-NONE' } })).statusCode).toBe(404);

    const position = await stockOf(subLotId);
    expect(position).toMatchObject({ onHandKg: 50, reservedKg: 0, availableKg: 50 });
    const ledger = await ledgerOf(subLotId);
    expect(ledger.map((e) => e.kind).sort()).toEqual(['dispatched', 'dispatched', 'received', 'released', 'reserved', 'reserved', 'reserved']);
    expect(sumKg(ledger.map((e) => e.onHandDeltaKg))).toBe(50);
    expect(probe.records.filter((r: ProbedRecord) => r.headers['ce_type'] === ReservationReleasedV1.type && (r.json as Answer).reservationId === rid(a))).toHaveLength(1);
  });

  it('answers a confirmation that comes after the reservation lapsed, and a release that comes after its stock left, once each', async () => {
    const lot = await receive([{ grade: 'grade_1', quantityKg: 100 }]);
    const subLotId = lot.subLots[0].subLotId;
    const [lapsing, leaving] = [reserveCmd(subLotId, 1, 10), reserveCmd(subLotId, 2, 20)];
    const rid = (e: OutboundEvent) => (e.data as ReserveStockV1).reservationId;
    await TopicProbe.publish(kafka, [lapsing, leaving]);
    for (const r of [lapsing, leaving]) await probe.expect((x) => x.headers['ce_type'] === StockReservedV1.type && (x.json as Answer).reservationId === rid(r), { what: 'reserved' });
    const shipmentId = `SHP-LATE-${subLotId}`;
    const confirm = (e: OutboundEvent) =>
      event(ConfirmReservationV1.type, { reservationId: rid(e), orderId: (e.data as ReserveStockV1).orderId, shipmentId, warehouseId: WH, subLotId, requestedAt: new Date().toISOString() });
    await TopicProbe.publish(kafka, [confirm(leaving)]);
    await waitFor(async () => (await stockOf(subLotId)).version === 1 + 2 + 1, { what: 'confirmation applied' });

    // The other one's TTL passes before its confirmation comes (a long burst on the commands topic).
    // (Earlier tests leave held reservations too: the sweep takes them a batch at a time.)
    const expired = () => probe.records.some((r) => r.headers['ce_type'] === ReservationReleasedV1.type && (r.json as Answer).reservationId === rid(lapsing));
    await waitFor(async () => expired() || void (await app.get(StockService).expireDue(new Date(Date.now() + DAY_MS))), { what: 'expired', intervalMs: 300 });
    await TopicProbe.publish(kafka, [confirm(lapsing), confirm(lapsing)]);
    const [lapsed] = await probe.expect((r) => r.headers['ce_type'] === ReservationLapsedV1.type && (r.json as Answer).reservationId === rid(lapsing), { what: 'lapsed' });
    expect(lapsed.key).toBe(subLotId);
    expect(lapsed.json).toMatchObject({ orderId: 'ORD-1', shipmentId, warehouseId: WH, subLotId, quantityKg: 10, reason: 'expired' });

    // The confirmed one leaves; a release that comes afterwards (a cancellation) is refused.
    expect((await app.inject({ method: 'POST', url: `/v1/warehouses/${WH}/dispatches`, headers: operator, payload: { shipmentId } })).statusCode).toBe(201);
    const release = event(ReleaseReservationV1.type, { reservationId: rid(leaving), orderId: 'ORD-2', warehouseId: WH, subLotId, reason: 'order cancelled', requestedAt: new Date().toISOString() });
    await TopicProbe.publish(kafka, [release, event(ReleaseReservationV1.type, release.data as ReleaseReservationV1)]);
    const [refused] = await probe.expect((r) => r.headers['ce_type'] === ReservationReleaseRefusedV1.type && (r.json as Answer).reservationId === rid(leaving), { what: 'release refused' });
    expect(refused.json).toMatchObject({ orderId: 'ORD-2', shipmentId, quantityKg: 20, reason: 'already_dispatched' });
    expect(await stockOf(subLotId)).toMatchObject({ onHandKg: 80, reservedKg: 0, availableKg: 80 });

    // Each answered once, whatever was redelivered.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const count = (type: string, id: string) => probe.records.filter((r) => r.headers['ce_type'] === type && (r.json as Answer).reservationId === id).length;
    expect(count(ReservationLapsedV1.type, rid(lapsing))).toBe(1);
    expect(count(ReservationReleaseRefusedV1.type, rid(leaving))).toBe(1);
  });

  it('writes what a change cut short by a crash still owed, before deciding anything else on that position, and in the recovery sweep', async () => {
    const lot = await receive([{ grade: 'grade_2', quantityKg: 50 }]);
    const subLotId = lot.subLots[0].subLotId;
    const id = positionId(WH, subLotId);
    const repo = app.get(StockRepository);
    const reservations = app.get<Model<StockReservation>>(getModelToken(StockReservation.name));
    const positions = app.get<Model<StockPosition>>(getModelToken(StockPosition.name));
    /** The position's change as the service commits it, then the process "dies": nothing it owed is written. */
    const crashAfterCommit = async (reservationId: string, quantityKg: number) => {
      const p = await repo.load(id);
      if (!p) throw new Error('no position');
      const now = new Date();
      const outcome = apply(p, {
        kind: 'reserve',
        reservationId,
        orderId: `ORD-${reservationId}`,
        quantityG: toGrams(quantityKg),
        mustLastUntil: now,
        expiresAt: new Date(now.getTime() + DAY_MS),
        at: now,
      });
      if (!outcome.ok) throw new Error(outcome.refusal);
      expect(await repo.commit(p, null, outcome.change, [])).not.toBeNull();
    };

    // A reservation whose position change committed but whose reservation and ledger documents were never written.
    await crashAfterCommit(`RES-CRASH-A-${subLotId}`, 5);
    expect(await reservations.exists({ _id: `RES-CRASH-A-${subLotId}` })).toBeNull();
    expect((await ledgerOf(subLotId)).map((e) => e.kind)).toEqual(['received']);
    // Confirming it, as order-routing would after hearing it was reserved, finds it: the position is settled first.
    const shipmentId = `SHP-CRASH-${subLotId}`;
    await TopicProbe.publish(kafka, [
      event(ConfirmReservationV1.type, { reservationId: `RES-CRASH-A-${subLotId}`, orderId: `ORD-RES-CRASH-A-${subLotId}`, shipmentId, warehouseId: WH, subLotId, requestedAt: new Date().toISOString() }),
    ]);
    await waitFor(async () => (await reservations.findById(`RES-CRASH-A-${subLotId}`).lean())?.status === 'confirmed', { what: 'the cut-short reservation confirmed' });
    expect((await ledgerOf(subLotId)).map((e) => e.kind)).toEqual(['received', 'reserved']);

    // A position nobody touches again is settled by the sweep.
    await crashAfterCommit(`RES-CRASH-B-${subLotId}`, 7);
    expect((await positions.findById(id).lean())?.pendingCount).toBeGreaterThan(0);
    expect(await app.get(StockService).settleUnsettled()).toBeGreaterThan(0);
    expect(await reservations.findById(`RES-CRASH-B-${subLotId}`).lean()).toMatchObject({ status: 'held', quantityG: 7000, positionId: id });
    expect(await positions.findById(id).lean()).toMatchObject({ pendingCount: 0, pending: {}, reservedG: 12_000, availableG: 38_000 });
    const ledger = await ledgerOf(subLotId);
    expect(ledger.map((e) => e.kind)).toEqual(['received', 'reserved', 'reserved']);
    expect(sumKg(ledger.map((e) => e.reservedDeltaKg))).toBe(12);
  });

  it('lets what a replica owed and writes late never replace a newer state of the same reservation', async () => {
    const lot = await receive([{ grade: 'grade_2', quantityKg: 20 }]);
    const subLotId = lot.subLots[0].subLotId;
    const id = positionId(WH, subLotId);
    const repo = app.get(StockRepository);
    const reservations = app.get<Model<StockReservation>>(getModelToken(StockReservation.name));
    const reservationId = `RES-LATE-${subLotId}`;
    const now = new Date();
    const p = await repo.load(id);
    if (!p) throw new Error('no position');
    const reserved = apply(p, { kind: 'reserve', reservationId, orderId: 'ORD-LATE', quantityG: 2000, mustLastUntil: now, expiresAt: new Date(now.getTime() + DAY_MS), at: now });
    if (!reserved.ok) throw new Error(reserved.refusal);
    const known = { [reservationId]: reserved.change.reservations[reservationId] };
    const confirmed = apply(reserved.change.next, { kind: 'confirm', reservationId, shipmentId: 'SHP-LATE', at: now }, known);
    if (!confirmed.ok) throw new Error(confirmed.refusal);
    const owed = (change: typeof reserved.change) => ({ [`v${change.next.version}`]: pendingWrites(p, change) });

    const released = apply(confirmed.change.next, { kind: 'release', reservationId, reason: 'requested', at: now }, confirmed.change.reservations);
    if (!released.ok) throw new Error(released.refusal);

    // Replica A committed the confirmation and stalls before writing what it owed; replica B settles
    // the position (writes the confirmation), commits and writes the release; A's write comes last.
    await repo.write(owed(reserved.change));
    await repo.write(owed(confirmed.change));
    await repo.write(owed(released.change));
    await repo.write(owed(confirmed.change));
    expect(await reservations.findById(reservationId).lean()).toMatchObject({ status: 'released', positionVersion: released.change.next.version });
  });
});
