import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Producer } from 'kafkajs';
import {
  ConfirmReservationV1,
  LotGradedV1,
  ReservationReleasedV1,
  ReserveStockV1,
  StockReceivedV1,
  StockReservedV1,
  StockWrittenOffV1,
  Topics,
  TransferDispatchedV1,
  TransferReceivedV1,
} from '@firstmile/contracts';
import { bearer, startApp, TopicProbe, waitFor } from '@firstmile/testing';
import type { LedgerEntryView, StockItemView } from '../stock/stock.service';
import { DAY_MS, event, graded, json } from '../test-kit';
import type { TransferView } from './transfers.service';

const ORIGIN = 'WH-XUNWU-ORIGIN';
const DC = 'DC-GUANGZHOU';
const originOperator = bearer({ role: 'warehouse_operator', warehouses: [ORIGIN] });
const dcOperator = bearer({ role: 'warehouse_operator', warehouses: [DC] });

describe('transfers, reservation expiry and write-offs on the real broker and store', () => {
  let app: NestFastifyApplication;
  let probe: TopicProbe;
  let kafka: Producer;

  const get = async <T>(url: string, headers: Record<string, string>) => {
    const r = await app.inject({ method: 'GET', url, headers });
    expect(r.statusCode).toBe(200);
    return json<T>(r);
  };
  const stockAt = async (warehouseId: string, subLotId: string, headers: Record<string, string>) =>
    (await get<{ items: StockItemView[] }>(`/v1/warehouses/${warehouseId}/stock?subLotId=${subLotId}`, headers)).items[0];
  const ledgerAt = async (warehouseId: string, subLotId: string, headers: Record<string, string>) =>
    (await get<{ items: LedgerEntryView[] }>(`/v1/warehouses/${warehouseId}/ledger?subLotId=${subLotId}&limit=500`, headers)).items;
  const gramsSum = (xs: number[]) => xs.reduce((s, x) => s + Math.round(x * 1000), 0);
  const receive = async (subLots: Parameters<typeof graded>[0]['subLots']) => {
    const lot = graded({ warehouseId: ORIGIN, subLots });
    await TopicProbe.publish(kafka, [event(LotGradedV1.type, lot)]);
    await probe.expect((r) => r.headers['ce_type'] === StockReceivedV1.type && (r.json as StockReceivedV1).lotId === lot.lotId, {
      count: subLots.length,
      what: 'stock received',
    });
    return lot;
  };

  beforeAll(async () => {
    // Short clocks, so expiry and write-off can be watched; set before the app's config is read.
    Object.assign(process.env, { RESERVATION_TTL_MS: '1500', RESERVATION_SWEEP_MS: '300', WRITE_OFF_SWEEP_MS: '1000' });
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

  it('moves stock from the origin to a distribution center, once, and both ledgers balance', async () => {
    const lot = await receive([{ grade: 'large', quantityKg: 500 }]);
    const subLotId = lot.subLots[0].subLotId;
    const body = { subLotId, fromWarehouseId: ORIGIN, toWarehouseId: DC, quantityKg: 120.25 };
    const post = (headers: Record<string, string>, payload: object = body) => app.inject({ method: 'POST', url: '/v1/transfers', headers, payload });

    expect((await post(dcOperator)).statusCode).toBe(404);
    expect((await post(originOperator, { ...body, quantityKg: 500.001 })).statusCode).toBe(409);
    expect((await post(originOperator, { ...body, toWarehouseId: ORIGIN })).statusCode).toBe(400);
    const created = await post({ ...originOperator, 'idempotency-key': `trf-${subLotId}` });
    expect(created.statusCode).toBe(201);
    const transfer = json<TransferView>(created);
    expect(transfer).toMatchObject({ status: 'in_transit', subLotId, fromWarehouseId: ORIGIN, toWarehouseId: DC, quantityKg: 120.25 });
    // The same Idempotency-Key replays the answer; it does not move the stock twice.
    expect(json<TransferView>(await post({ ...originOperator, 'idempotency-key': `trf-${subLotId}` })).id).toBe(transfer.id);

    const out = await probe.expect((r) => r.headers['ce_type'] === TransferDispatchedV1.type && (r.json as TransferDispatchedV1).transferId === transfer.id, {
      what: 'transfer dispatched',
    });
    expect(out[0].json).toMatchObject({ warehouseId: ORIGIN, toWarehouseId: DC, quantityKg: 120.25, stock: { onHandKg: 379.75, availableKg: 379.75 } });
    expect(await stockAt(ORIGIN, subLotId, originOperator)).toMatchObject({ onHandKg: 379.75, availableKg: 379.75 });

    const receiveAt = (headers: Record<string, string>) => app.inject({ method: 'POST', url: `/v1/transfers/${transfer.id}/receive`, headers });
    expect((await receiveAt(originOperator)).statusCode).toBe(404);
    const received = await receiveAt(dcOperator);
    expect(received.statusCode).toBe(200);
    expect(json(received)).toMatchObject({ status: 'received' });
    expect(json(await receiveAt(dcOperator))).toMatchObject({ status: 'received' });

    const into = await probe.expect((r) => r.headers['ce_type'] === TransferReceivedV1.type && (r.json as TransferReceivedV1).transferId === transfer.id, {
      what: 'transfer received',
    });
    expect(into[0].json).toMatchObject({ warehouseId: DC, fromWarehouseId: ORIGIN, warehouseLocation: { lat: 23.13, lon: 113.26 }, traceCode: lot.subLots[0].traceCode });
    await probe.expect((r) => r.headers['ce_type'] === StockReceivedV1.type && (r.json as StockReceivedV1).transferId === transfer.id, { what: 'received via transfer' });
    expect(probe.ofType(TransferReceivedV1.type).filter((r) => (r.json as TransferReceivedV1).transferId === transfer.id)).toHaveLength(1);

    const atDc = await stockAt(DC, subLotId, dcOperator);
    expect(atDc).toMatchObject({ onHandKg: 120.25, availableKg: 120.25, reservedKg: 0, lotId: lot.lotId, grade: 'large' });
    expect((await app.inject({ method: 'GET', url: `/v1/warehouses/${DC}/stock`, headers: originOperator })).statusCode).toBe(404);
    const originLedger = await ledgerAt(ORIGIN, subLotId, originOperator);
    const dcLedger = await ledgerAt(DC, subLotId, dcOperator);
    expect(originLedger.map((e) => e.kind)).toEqual(['received', 'transfer_out']);
    expect(dcLedger).toMatchObject([{ kind: 'transfer_in', transferId: transfer.id, quantityKg: 120.25 }]);
    expect(gramsSum(originLedger.map((e) => e.onHandDeltaKg))).toBe(379_750);
    expect(gramsSum(dcLedger.map((e) => e.onHandDeltaKg))).toBe(120_250);
  });

  it('releases a reservation nobody confirmed once its TTL passes, and announces it; a confirmed one stays', async () => {
    const lot = await receive([{ grade: 'large', quantityKg: 50 }]);
    const subLotId = lot.subLots[0].subLotId;
    const reserve = (n: number) =>
      event(ReserveStockV1.type, {
        reservationId: `RES-EXP-${subLotId}-${n}`,
        orderId: `ORD-EXP-${n}`,
        warehouseId: ORIGIN,
        subLotId,
        quantityKg: 10,
        mustLastUntil: new Date(Date.now() + DAY_MS).toISOString(),
        requestedAt: new Date().toISOString(),
      });
    const [lapsing, kept] = [reserve(1), reserve(2)];
    await TopicProbe.publish(kafka, [lapsing, kept]);
    const reserved = await probe.expect((r) => r.headers['ce_type'] === StockReservedV1.type && (r.json as StockReservedV1).subLotId === subLotId, {
      count: 2,
      what: 'two reservations',
    });
    const keptId = (kept.data as ReserveStockV1).reservationId;
    await TopicProbe.publish(kafka, [
      event(ConfirmReservationV1.type, { reservationId: keptId, orderId: 'ORD-EXP-2', shipmentId: 'SHP-EXP', warehouseId: ORIGIN, subLotId, requestedAt: new Date().toISOString() }),
    ]);
    const released = await probe.expect((r) => r.headers['ce_type'] === ReservationReleasedV1.type && (r.json as ReservationReleasedV1).subLotId === subLotId, {
      what: 'expired reservation released',
    });
    const lapsed = released[0].json as ReservationReleasedV1;
    expect(lapsed).toMatchObject({ reservationId: (lapsing.data as ReserveStockV1).reservationId, reason: 'expired', quantityKg: 10 });
    const expiresAt = (reserved.map((r) => r.json as StockReservedV1).find((r) => r.reservationId === lapsed.reservationId) as StockReservedV1).expiresAt;
    expect(Date.parse(lapsed.releasedAt)).toBeGreaterThanOrEqual(Date.parse(expiresAt));

    // Well past the kept one's would-be expiry: it is still reserved.
    await new Promise((r) => setTimeout(r, 2000));
    expect(probe.ofType(ReservationReleasedV1.type).filter((r) => (r.json as ReservationReleasedV1).subLotId === subLotId)).toHaveLength(1);
    expect(await stockAt(ORIGIN, subLotId, originOperator)).toMatchObject({ onHandKg: 50, reservedKg: 10, availableKg: 40 });
    const ledger = await ledgerAt(ORIGIN, subLotId, originOperator);
    expect(ledger.map((e) => e.kind).sort()).toEqual(['received', 'released', 'reserved', 'reserved']);
    expect(ledger.find((e) => e.kind === 'released')).toMatchObject({ reason: 'expired' });
  });

  it('writes off what is available of stock past its best-before', async () => {
    const lot = await receive([{ grade: 'small', quantityKg: 7.5, bestBefore: new Date(Date.now() + 1500).toISOString() }]);
    const subLotId = lot.subLots[0].subLotId;
    const off = await probe.expect((r) => r.headers['ce_type'] === StockWrittenOffV1.type && (r.json as StockWrittenOffV1).subLotId === subLotId, {
      timeoutMs: 15_000,
      what: 'written off',
    });
    expect(off[0].json).toMatchObject({ quantityKg: 7.5, reason: 'expired', stock: { onHandKg: 0, availableKg: 0 } });
    await waitFor(async () => (await ledgerAt(ORIGIN, subLotId, originOperator)).length === 2, { what: 'write-off in the ledger' });
    const ledger = await ledgerAt(ORIGIN, subLotId, originOperator);
    expect(ledger[1]).toMatchObject({ kind: 'written_off', reason: 'expired', quantityKg: 7.5, onHandKg: 0 });
    expect(await stockAt(ORIGIN, subLotId, originOperator)).toBeUndefined();
  });
});
